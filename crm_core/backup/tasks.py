"""The scheduled backup: the beat asks every hour; a backup is made when the newest one in
``CRM_BACKUP_DIR`` is older than ``CRM_BACKUP_EVERY_HOURS`` (0: never), and only the
``CRM_BACKUP_KEEP`` newest are kept. Asking hourly rather than scheduling "every N hours"
keeps the interval true across beat restarts."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from flask import current_app

from ..registry import ScheduleEntry, TaskSpec
from .service import backups_in, create_backup, default_folder, prune_backups

log = logging.getLogger(__name__)


def newest_backup_time(folder: Path) -> dt.datetime | None:
    """When the newest backup of ``folder`` was written (its file's time), or None."""
    found = backups_in(folder)
    if not found:
        return None
    return dt.datetime.fromtimestamp(found[0].stat().st_mtime, dt.UTC)


def scheduled_backup(now: dt.datetime | None = None) -> dict[str, object]:
    """Make a backup when one is due, then prune; says what it did."""
    app = current_app
    hours = float(app.config.get("CRM_BACKUP_EVERY_HOURS") or 0)
    folder = default_folder(app)
    now = now or dt.datetime.now(dt.UTC)
    newest = newest_backup_time(folder)
    if hours <= 0 or (newest is not None and now - newest < dt.timedelta(hours=hours)):
        return {"created": None, "pruned": 0}
    path = create_backup(app, folder, now)
    pruned = prune_backups(folder, int(app.config.get("CRM_BACKUP_KEEP") or 7))
    log.info("backup %s written; %d old backup(s) pruned", path.name, len(pruned))
    return {"created": path.name, "pruned": len(pruned)}


BACKUP_TASKS = [TaskSpec("backup_scheduled", scheduled_backup)]
BACKUP_SCHEDULE = [ScheduleEntry("backup-scheduled", "backup_scheduled", seconds=3600)]
