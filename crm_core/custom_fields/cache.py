"""Definitions kept in memory per app for a few seconds: a list page reads no definition
table (the customers API's statement budget has no room for it). A change made in this
process is seen at once (``forget``); another worker sees it within ``TTL`` seconds."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import CustomField

TTL = 5.0
_KEY = "crm_custom_definitions"


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
    if entry is None or entry[0] < now:
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
