"""Definitions kept in memory per app for a few seconds: a list page reads no definition
table (the customers API's statement budget has no room for it). A change made in this
process is seen at once (``forget``); another worker sees it within ``TTL`` seconds, or at
once when a request names a field it does not know: a form input or list filter
``custom.<key>``, or a key of the JSON body's ``custom`` object, reads the definitions
again (once per request), so a value typed into a field added a second ago in another
worker is checked and kept, never dropped as unknown."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import CustomField

TTL = 5.0
_KEY = "crm_custom_definitions"
PREFIX = "custom."
#: the ends of range filters (``custom.<key>_min``...), as ``values.parse_filters`` reads them
FILTER_ENDS = ("_min", "_max", "_from", "_to")


def _requested_keys() -> set[str]:
    """The custom-field names the current request sends: ``custom.<...>`` form inputs and
    query arguments, and the keys of a JSON body's ``custom`` object."""
    if not has_request_context():
        return set()
    names = list(request.args)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        names += list(request.form)
    keys = {name[len(PREFIX):] for name in names if name.startswith(PREFIX)}
    if request.is_json:
        body = request.get_json(silent=True)
        custom = body.get("custom") if isinstance(body, dict) else None
        if isinstance(custom, dict):
            keys.update(str(key) for key in custom)
    return keys


def _names_unknown(kind: str, fields: list[CustomField]) -> bool:
    """Whether the request names a field of ``kind`` these definitions lack (asked once per
    request and kind: a made-up name costs one read at most)."""
    keys = _requested_keys()
    if not keys:
        return False
    asked: set[str] = g.setdefault("crm_custom_fields_reread", set())
    if kind in asked:
        return False
    known = {field.key for field in fields}
    unknown = any(key not in known and not any(
        key.endswith(end) and key[:-len(end)] in known for end in FILTER_ENDS)
        for key in keys)
    if unknown:
        asked.add(kind)
    return unknown


def _snapshot(field: CustomField) -> CustomField:
    """A copy bound to no session (safe to keep between requests)."""
    columns = CustomField.__table__.columns  # type: ignore[attr-defined]
    return CustomField(**{column.key: getattr(field, column.key) for column in columns})


def definitions(session: Session, kind: str) -> list[CustomField]:
    """The active fields of ``kind`` in form order (section, position)."""
    store: dict[str, Any] = current_app.extensions.setdefault(_KEY, {}) \
        if has_app_context() else {}
    now = time.monotonic()
    entry = store.get(kind)
    if entry is None or entry[0] < now or _names_unknown(kind, entry[1]):
        found = session.scalars(
            select(CustomField).where(CustomField.record_kind == kind,
                                      CustomField.archived_at.is_(None))
            .order_by(CustomField.section, CustomField.position, CustomField.id))
        entry = store[kind] = (now + TTL, [_snapshot(field) for field in found])
    return list(entry[1])


def forget(kind: str | None = None) -> None:
    """Forget the kept definitions of ``kind`` (every kind: None)."""
    if not has_app_context():
        return
    store = current_app.extensions.setdefault(_KEY, {})
    if kind is None:
        store.clear()
    else:
        store.pop(kind, None)
