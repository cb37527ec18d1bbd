"""Masks in the operation log's pages (a record's history panel, the log): the old and new
values of a sensitive column are masked for a reader without the kind's
``view_sensitive``. The log itself keeps them (its hash chain covers them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from flask import current_app, has_app_context

from .access import may_see
from .masks import mask
from .registry import declared

__all__ = ["audit_columns", "mask_changes"]


def audit_columns() -> dict[str, tuple[str, dict[str, str]]]:
    """Each table with sensitive columns: ``{table: (kind, {column: value kind})}`` (the
    declared model's columns, and the declaration's ``audit`` tables)."""
    cached = current_app.extensions.get("crm_sensitive_audit")
    if cached is not None:
        return cached
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for spec in declared(current_app).values():
        if spec.model is not None and hasattr(spec.model, "__table__"):
            columns = spec.model.__table__.columns  # type: ignore[attr-defined]
            own = {name: kind for name, kind in spec.fields.items() if name in columns}
            if own:
                found[spec.model.__tablename__] = (spec.kind, own)  # type: ignore[attr-defined]
        for table, columns_of in spec.audit.items():
            found[table] = (spec.kind, dict(columns_of))
    current_app.extensions["crm_sensitive_audit"] = found
    return found


def mask_changes(table: str | None, changes: Sequence[Any]) -> list[Any]:
    """``changes`` (``ShownChange`` items of an entry about ``table``) with the values of
    sensitive columns masked for the reader."""
    if not table or not has_app_context():
        return list(changes)
    columns = audit_columns().get(table)
    if columns is None or may_see(columns[0]):
        return list(changes)
    kinds = columns[1]
    return [dataclasses.replace(change, old=mask(kinds[change.field], change.old),
                                new=mask(kinds[change.field], change.new))
            if change.field in kinds else change for change in changes]
