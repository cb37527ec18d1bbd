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
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from . import capture, chain, scoping
from .context import actor_of, current_origin
from .models import AuditEntry

PAGE_SIZE = 50
# Ids of the log a page looks through for a viewer who reads only part of it: a page costs
# at most this many primary-key steps (tens of ms), however little of the log they may read.
SCAN_SPAN = 100_000


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


def record_event(action: str, message: Any = "", *, model: str | type | None = None,
                 record_id: Any = None, changes: dict[str, Any] | None = None,
                 user: Any = None, session: Any = None) -> None:
    """Append an entry that is not a row change (login, logout, import, export...).

    ``action`` is a short verb (``"login"``, ``"login_failed"``, ``"export"``); ``model``
    a table name or model class and ``record_id`` the record it concerns, if any;
    ``changes`` any JSON-able dict shown with the entry. ``message`` is best a lazy string,
    ``_l("Exported %(n)d rows", n=n)``: the log then shows it in each reader's language
    (``messages.py``); a plain string is shown as written. ``user`` defaults to whoever is
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
    table, key = _table_name(model), _record_key(record_id)
    settings = capture.settings_for(session)
    scope = scoping.scope_of_record(session, settings.scopes, settings.models, table, key) \
        if settings is not None else None
    entry = capture.new_entry(origin, action, table, key, changes or {}, message, scope)
    chain.append(session, [entry])


def record_history(model: str | type, record_id: Any, limit: int = 50,
                   visible: Any = None) -> list[Any]:
    """The newest ``limit`` entries about one record (for its page's history panel).

    ``model`` is a model class or its table name (``"core_user"``); a composite key is
    given as a tuple. ``visible`` is a further condition on the entries (what a viewer may
    read: ``visibility.visible_condition``). Reads through the app context's session.
    """
    from ..db import get_session

    query = (select(AuditEntry)
             .where(AuditEntry.model == _table_name(model),
                    AuditEntry.record_id == _record_key(record_id))
             .order_by(AuditEntry.id.desc()).limit(limit))
    if visible is not None:
        query = query.where(visible)
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
    zone: str = "UTC"  # the IANA zone the dates are days of (the viewer's)


@dataclass(frozen=True)
class LogPage:
    """One page of entries, newest first, with the cursors of its neighbours (or None).

    ``searched`` is the range of entry ids looked through, lowest and highest, when a
    viewer who reads part of the log got fewer entries than a page holds before the search
    stopped (``SCAN_SPAN``); "Older" and "Newer" search on from there.
    """

    entries: list[Any]
    older: int | None
    newer: int | None
    searched: tuple[int, int] | None = None


def _filtered(query: Select[Any], filters: LogFilter) -> Select[Any]:
    if filters.username:
        query = query.where(AuditEntry.username == filters.username)
    if filters.model:
        query = query.where(AuditEntry.model == filters.model)
    if filters.record_id:
        query = query.where(AuditEntry.record_id == filters.record_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    zone = ZoneInfo(filters.zone)
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time.min, zone)
        query = query.where(AuditEntry.at >= start.astimezone(dt.UTC))
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, zone)
        query = query.where(AuditEntry.at < end.astimezone(dt.UTC))
    return query


def find_entries(session: Session, filters: LogFilter, *, before: int | None = None,
                 after: int | None = None, limit: int = PAGE_SIZE,
                 visible: Any = None) -> LogPage:
    """A page of entries matching ``filters``, newest first, by keyset on id (no OFFSET).

    ``before`` gives the page of entries older than that id ("Older"), ``after`` the page
    just newer than it ("Newer"); neither gives the newest page. Dates are UTC days.
    ``visible`` limits the entries to what a viewer may read
    (``visibility.visible_condition``; None: every entry).
    """
    base = _filtered(select(AuditEntry), filters)
    ids = _filtered(select(AuditEntry.id), filters)
    if visible is not None:
        return _bounded_page(session, base.where(visible), before, after, limit)

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


def _any_entry(session: Session, condition: Any) -> bool:
    return session.scalar(select(AuditEntry.id).where(condition).limit(1)) is not None


def _bounded_page(session: Session, query: Select[Any], before: int | None,
                  after: int | None, limit: int, span: int | None = None) -> LogPage:
    """A page of ``query`` (restricted to what a viewer may read) that looks through at most
    ``span`` entry ids: unbounded, a viewer who may read almost nothing would make every page
    walk the whole log. The neighbours' cursors are told by any entry beyond the window,
    readable or not (a cheap look-up), so "Older" may search on and find nothing."""
    key, span = AuditEntry.id, span or SCAN_SPAN
    if after is not None:
        high = after + span
        rows = list(session.scalars(query.where(key > after, key <= high)
                                    .order_by(key.asc()).limit(limit + 1)))
        full = len(rows) > limit
        rows = rows[:limit][::-1]
        newer = rows[0].id if full else (high if _any_entry(session, key > high) else None)
        older = (rows[-1].id if rows else after + 1) if _any_entry(session, key <= after) \
            else None
        searched = None if full else (after + 1, high)
        return LogPage(rows, older, newer, searched)
    top = before if before is not None else (session.scalar(select(func.max(key))) or 0) + 1
    low = top - span
    rows = list(session.scalars(query.where(key < top, key >= low)
                                .order_by(key.desc()).limit(limit + 1)))
    full = len(rows) > limit
    rows = rows[:limit]
    older = rows[-1].id if full else (low if _any_entry(session, key < low) else None)
    newer = None
    if before is not None and _any_entry(session, key >= top):
        newer = rows[0].id if rows else top - 1
    return LogPage(rows, older, newer, None if full else (max(low, 1), top - 1))
