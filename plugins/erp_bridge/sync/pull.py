"""Incremental pulls from the ERP: products and invoices, resumable.

``pull`` asks the connection's adapter for the records changed after the stored cursor, page
by page; each page goes to the ``erp_records_pulled`` listeners and then the cursor moves past
it, in one commit, so a pull stopped anywhere (the ERP down, the process killed) resumes
after the last page taken, and a page is never skipped. ``full`` starts from the beginning.
A refused key or right stops the connection (as a push does); any other ERP error ends the
pull, kept as the cursor's ``last_error``, for the next run to resume.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import ScheduleEntry, TaskSpec, db, emit, utcnow

from ..connections.services import adapter_for, all_connections, stop_connection
from ..models import ErpConnection, ErpSyncCursor
from ..odoo import AuthError, OdooError, PermissionError
from ..odoo.client import Cursor
from .initial import AlreadyRunning, guard
from .settings import object_settings

#: What can be pulled, and the adapter method that pulls it.
PULLS = {"products": "pull_products", "invoices": "pull_invoices"}
PAGE = 500
#: How often the beat pulls every object from every active Odoo connection.
PULL_EVERY_SECONDS = 300


@dataclass
class PullResult:
    """What one pull did: records taken, pages that failed (0 or 1) and why."""

    pulled: int = 0
    failed: int = 0
    error: str = ""


def pull(session: Session, connection: ErpConnection, obj: str, full: bool = False,
         page: int = PAGE, max_pages: int | None = None) -> PullResult:
    """Pull ``obj`` (``products``/``invoices``) from ``connection`` until nothing changed
    (or ``max_pages``); commits after each page. A pull of the same object already running
    (the beat and the CLI) makes this one end at once with ``failed`` 1."""
    try:
        with guard(session, connection, obj) as state:
            return _pull(session, connection, obj, state, full, page, max_pages)
    except AlreadyRunning as busy:
        return PullResult(failed=1, error=str(busy))


def _pull(session: Session, connection: ErpConnection, obj: str, state: ErpSyncCursor,
          full: bool, page: int, max_pages: int | None) -> PullResult:
    method = PULLS[obj]
    cursor = None if full else Cursor.from_list(json.loads(state.cursor or "null"))
    result, pages = PullResult(), 0
    try:
        with adapter_for(connection) as erp:
            while max_pages is None or pages < max_pages:
                rows, after = getattr(erp, method)(cursor, page)
                if not rows:
                    break
                emit("erp_records_pulled", session, connection=connection.name, object=obj,
                     rows=rows)
                cursor, pages, result.pulled = after, pages + 1, result.pulled + len(rows)
                _advance(state, cursor, len(rows))
                session.commit()
    except (AuthError, PermissionError) as refused:
        session.rollback()
        stop_connection(session, connection, refused.message)
        result.failed, result.error = 1, refused.message
    except OdooError as failed:
        session.rollback()
        result.failed, result.error = 1, failed.message
    state.last_error = result.error[:500]
    session.commit()
    return result


def _advance(state: ErpSyncCursor, cursor: Cursor | None, count: int) -> None:
    state.cursor = json.dumps(cursor.as_list()) if cursor is not None else ""
    state.pulled += count
    state.pulled_at = utcnow()
    state.last_error = ""


def cursors(session: Session, connection: ErpConnection) -> dict[str, dict[str, Any]]:
    """Each pulled object's state: cursor, records pulled so far, last time, last error."""
    rows = session.scalars(select(ErpSyncCursor).where(
        ErpSyncCursor.connection_id == connection.id))
    return {row.object: {"cursor": json.loads(row.cursor or "null"), "pulled": row.pulled,
                         "pulled_at": row.pulled_at.isoformat() if row.pulled_at else None,
                         "last_error": row.last_error} for row in rows}


def pull_everything(session: Session) -> dict[str, int]:
    """Pull every object whose direction pulls from every active Odoo connection (the
    beat's run)."""
    totals = {"pulled": 0, "failed": 0}
    for connection in all_connections(session):
        for obj in PULLS:
            if connection.kind != "odoo" or connection.state != "active" \
                    or connection.held or not object_settings(obj, connection.name).pulls:
                continue  # a pull that stopped it leaves the other objects alone
            result = pull(session, connection, obj)
            totals["pulled"] += result.pulled
            totals["failed"] += result.failed
    return totals


def pull_task() -> str:
    """The beat's run, committed page by page."""
    totals = pull_everything(db.session)
    return f"ERP pull: {totals['pulled']} records, {totals['failed']} failed"


def celery_tasks() -> list[TaskSpec]:
    """``erp_bridge.pull``."""
    return [TaskSpec("pull", pull_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Every five minutes: the changes an administrator made in the ERP reach the CRM soon,
    and a pull that finds nothing costs one call per object."""
    return [ScheduleEntry("pull", "pull", seconds=PULL_EVERY_SECONDS)]
