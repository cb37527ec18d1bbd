"""Recording and reading the operation log.

Row changes are recorded by session events (``capture.py``) once ``init_app`` ran; other
events (sign-in, sign-out, imports, exports...) with ``record_event``. Entries are written in
the transaction of the change they describe, so a rollback leaves none and a commit never
loses one. Nothing here edits or deletes an entry: the log is append-only, and
``crm audit verify`` proves it (``chain.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from . import capture, chain
from .context import actor_of, current_origin
from .models import AuditEntry

PAGE_SIZE = 50


def init_app(app: Flask) -> None:
    """Start recording every write of every business model of ``app``."""
    platform = app.extensions["crm"]
    models = [model for classes in platform.models.values() for model in classes]
    capture.register(app.extensions["crm_db"].engine, models)


def audited_tables(app: Flask) -> list[str]:
    """The table names whose row changes ``app`` records, sorted."""
    settings = capture.settings_for_engine(app.extensions["crm_db"].engine)
    return sorted(settings.models) if settings else []


def _table_name(model: str | type | None) -> str | None:
    if model is None or isinstance(model, str):
        return model
    return model.__table__.name  # type: ignore[attr-defined]


def _record_key(record_id: Any) -> str | None:
    if record_id is None:
        return None
    if isinstance(record_id, list | tuple):
        return capture.record_key(list(record_id))
    return str(record_id)


def record_event(action: str, message: str = "", *, model: str | type | None = None,
                 record_id: Any = None, changes: dict[str, Any] | None = None,
                 user: Any = None, session: Any = None) -> None:
    """Append an entry that is not a row change (login, logout, import, export...).

    ``action`` is a short verb (``"login"``, ``"login_failed"``, ``"export"``); ``model``
    a table name or model class and ``record_id`` the record it concerns, if any;
    ``changes`` any JSON-able dict shown with the entry. ``user`` defaults to whoever is
    acting (the signed-in user, ``cli:<name>``, ``system``); pass a user object, or a user
    name string for someone without an account (a failed sign-in with an unknown name).

    ``session`` defaults to the app context's session (``get_session()``). The entry is
    written into that session's transaction at once, but **the caller commits**: roll back
    and the entry is gone with the rest of the work.
    """
    if session is None:
        from ..db import get_session

        session = get_session()
    origin = current_origin(actor_of(user) if user is not None else None)
    entry = capture.new_entry(origin, action, _table_name(model), _record_key(record_id),
                              changes or {}, message)
    chain.append(session, [entry])


def record_history(model: str | type, record_id: Any, limit: int = 50) -> list[Any]:
    """The newest ``limit`` entries about one record (for its page's history panel).

    ``model`` is a model class or its table name (``"core_user"``); a composite key is
    given as a tuple. Reads through the app context's session.
    """
    from ..db import get_session

    query = (select(AuditEntry)
             .where(AuditEntry.model == _table_name(model),
                    AuditEntry.record_id == _record_key(record_id))
             .order_by(AuditEntry.id.desc()).limit(limit))
    return list(get_session().scalars(query))


# -- the log page ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LogFilter:
    """What the log page filters on; empty fields do not filter."""

    username: str = ""
    model: str = ""
    record_id: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class LogPage:
    """One page of entries, newest first, with the cursors of its neighbours (or None)."""

    entries: list[Any]
    older: int | None
    newer: int | None


def _filtered(query: Select[Any], filters: LogFilter) -> Select[Any]:
    if filters.username:
        query = query.where(AuditEntry.username == filters.username)
    if filters.model:
        query = query.where(AuditEntry.model == filters.model)
    if filters.record_id:
        query = query.where(AuditEntry.record_id == filters.record_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time.min, dt.UTC)
        query = query.where(AuditEntry.at >= start)
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, dt.UTC)
        query = query.where(AuditEntry.at < end)
    return query


def find_entries(session: Session, filters: LogFilter, *, before: int | None = None,
                 after: int | None = None, limit: int = PAGE_SIZE) -> LogPage:
    """A page of entries matching ``filters``, newest first, by keyset on id (no OFFSET).

    ``before`` gives the page of entries older than that id ("Older"), ``after`` the page
    just newer than it ("Newer"); neither gives the newest page. Dates are UTC days.
    """
    base = _filtered(select(AuditEntry), filters)
    ids = _filtered(select(AuditEntry.id), filters)

    def exists(condition: Any) -> bool:
        return session.scalar(ids.where(condition).limit(1)) is not None

    if after is not None:
        rows = list(session.scalars(base.where(AuditEntry.id > after)
                                    .order_by(AuditEntry.id.asc()).limit(limit + 1)))
        has_newer = len(rows) > limit
        rows = rows[:limit][::-1]
        has_older = exists(AuditEntry.id <= after)
    else:
        query = base if before is None else base.where(AuditEntry.id < before)
        rows = list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)))
        has_older = len(rows) > limit
        rows = rows[:limit]
        has_newer = before is not None and exists(
            AuditEntry.id > rows[0].id if rows else AuditEntry.id >= before)
    if not rows:  # an emptied page: point back at what is on either side of the cursor
        return LogPage([], after + 1 if after is not None and has_older else None,
                       before - 1 if before is not None and has_newer else None)
    return LogPage(rows, rows[-1].id if has_older else None,
                   rows[0].id if has_newer else None)


@dataclass(frozen=True)
class Change:
    """One field of an entry's changes, as the page shows it: ``field: old → new``."""

    field: str
    old: Any = None
    new: Any = None
    has_old: bool = False
    has_new: bool = False


def describe_changes(entry: Any) -> list[Change]:
    """An entry's ``changes`` as a list of fields with their old and/or new values."""
    try:
        data = json.loads(entry.changes or "{}")
    except (TypeError, ValueError):
        return [Change("changes", new=entry.changes, has_new=True)]
    if not isinstance(data, dict):
        return [Change("changes", new=data, has_new=True)]
    described = []
    for name, value in data.items():
        if isinstance(value, dict) and value and set(value) <= {"old", "new"}:
            described.append(Change(name, value.get("old"), value.get("new"),
                                    "old" in value, "new" in value))
        else:
            described.append(Change(name, new=value, has_new=True))
    return described
