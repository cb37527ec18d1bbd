"""The outbox's Celery tasks and beat entry, registered by the kernel plugin."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from ..db import utcnow
from ..registry import ScheduleEntry, TaskSpec
from .delivery import drain
from .service import purge_sent
from .settings import outbox_settings


def deliver(ids: list[int]) -> dict[str, int]:
    """Deliver the messages a committed transaction wrote (those still due)."""
    return drain(ids=[int(message_id) for message_id in ids]).as_dict()


def drain_due() -> dict[str, int]:
    """Deliver everything due (retries, messages whose deliver task was lost), then forget
    messages sent more than ``CRM_OUTBOX_KEEP_DAYS`` ago."""
    report = drain().as_dict()
    return {**report, "purged": purge()}


def purge(now: dt.datetime | None = None) -> int:
    """Delete sent messages older than ``CRM_OUTBOX_KEEP_DAYS`` (0: keep them); a few
    thousand a run, so a big backlog goes over several runs without a long lock."""
    keep = outbox_settings().keep_days
    if not keep:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=keep)
    total = 0
    with current_app.extensions["crm_db"].new_session() as session:
        for _batch in range(10):
            purged = purge_sent(session, cutoff)
            session.commit()
            total += purged
            if purged < 1000:
                break
    return total


#: ``core.outbox_deliver`` (sent after commit) and ``core.outbox_drain`` (every minute).
TASKS = [TaskSpec("outbox_deliver", deliver), TaskSpec("outbox_drain", drain_due)]
SCHEDULE = [ScheduleEntry("outbox_drain", "outbox_drain", seconds=60)]
