"""Writing an upsert's changes to existing customers, and what undo needs to take them back.

Updates go through the session's connection (Core statements, one customer at a time, no ORM
objects); ``apply_updates`` returns ``{id: (old, new)}`` of what really changed, which the
kernel keeps for the import (``core_import_record``). Undo puts a value back only while the
customer still holds what the import wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import bulk_write, utcnow

from ..events import emit
from ..models import Customer, CustomerEmail, CustomerPhone, CustomerTag
from ..records.sensitive import SENSITIVE_FIELDS

__all__ = ["apply_updates", "current_values", "diff_values", "restore_values"]

_TABLE = Customer.__table__
_CHILDREN = ("phones", "emails", "tag_ids")


def current_values(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The customers' columns with their phones, emails and tag ids, by customer id."""
    current = {values["id"]: dict(values) for values in session.execute(
        select(_TABLE).where(_TABLE.c.id.in_(ids))).mappings()}
    for child, column, name in ((CustomerPhone, "number", "phones"),
                                (CustomerEmail, "email", "emails")):
        for customer_id, value in session.execute(
                select(child.customer_id, getattr(child, column))
                .where(child.customer_id.in_(ids)).order_by(child.position)):
            current[customer_id].setdefault(name, []).append(value)
    for customer_id, tag_id in session.execute(
            select(CustomerTag.customer_id, CustomerTag.tag_id)
            .where(CustomerTag.customer_id.in_(ids)).order_by(CustomerTag.tag_id)):
        current[customer_id].setdefault("tag_ids", []).append(tag_id)
    return current


def diff_values(before: dict[str, Any], values: dict[str, Any]
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(old values, new values)`` of the fields the row changes (tags are only added)."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key, value in values.items():
        if key == "name_syllables" or key in SENSITIVE_FIELDS:
            # an upsert leaves an existing customer's encrypted fields alone: the import's
            # record (for undo) would keep them in plain text
            continue
        if key == "tag_ids":
            have = before.get("tag_ids") or []
            added = [tag for tag in value if tag not in have]
            if added:
                old[key], new[key] = have, [*have, *added]
        elif key in ("phones", "emails"):
            if value and value != (before.get(key) or []):
                old[key], new[key] = before.get(key) or [], value
        elif key == "custom":  # the cells given change their fields; the others stay
            merged = {**(before.get(key) or {}), **value}
            if merged != (before.get(key) or {}):
                old[key], new[key] = before.get(key), merged
        elif value not in (None, "") and before.get(key) != value:
            old[key], new[key] = before.get(key), value
    return old, new


def apply_updates(session: Session, targets: list[tuple[int, dict[str, Any]]], *,
                  import_id: int | None, listened: Callable[[str], bool]
                  ) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    """Apply each ``(customer id, clean values)``; returns ``{id: (old, new)}`` of the
    customers that really changed (the values overwritten and the ones written)."""
    if not targets:
        return {}
    current = current_values(session, [customer_id for customer_id, _values in targets])
    changed: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    rows: list[dict[str, Any]] = []
    connection = session.connection()
    now = utcnow()
    for customer_id, values in targets:
        old, new = diff_values(current[customer_id], values)
        if not new:
            continue
        changed[customer_id] = (old, _comparable(new))
        rows.append({"id": customer_id, "updated_at": now,
                     **{key: value for key, value in new.items() if key not in _CHILDREN}})
        _replace_children(connection, customer_id, new)
    if rows:  # one executemany per set of changed columns, one log entry per owner
        bulk_write(_TABLE, rows, event="import_update", session=session, update_rows=True,
                   changes={"import_id": import_id} if import_id is not None else None)
        if listened("customer_updated"):
            for customer_id, (_old, new) in changed.items():
                names = sorted(key for key in new if key not in ("name_key", "pinyin_key"))
                emit("customer_updated", session, customer_id=customer_id,
                     changed=["tags" if key == "tag_ids" else key for key in names])
    return changed


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    """The written values as JSON stores them (what undo compares the customer with)."""
    return {key: value for key, value in values.items()
            if key not in ("name_key", "pinyin_key")}


def _replace_children(connection: Any, customer_id: int, values: dict[str, Any]) -> None:
    """Put the phones, emails and tags of ``values`` (those present) on the customer."""
    for name, child, column in (("phones", CustomerPhone, "number"),
                                ("emails", CustomerEmail, "email")):
        if name in values:
            connection.execute(delete(child.__table__).where(
                child.__table__.c.customer_id == customer_id))
            if values[name]:
                connection.execute(insert(child.__table__), [
                    {"customer_id": customer_id, column: value, "position": position}
                    for position, value in enumerate(values[name])])
    if "tag_ids" in values:
        connection.execute(delete(CustomerTag.__table__).where(
            CustomerTag.__table__.c.customer_id == customer_id))
        if values["tag_ids"]:
            connection.execute(insert(CustomerTag.__table__), [
                {"customer_id": customer_id, "tag_id": tag_id} for tag_id in values["tag_ids"]])


def restore_values(connection: Any, customer_id: int, old: dict[str, Any]) -> None:
    """Put back the values an upsert overwrote, as they were (the all-or-nothing rollback)."""
    columns = {key: value for key, value in old.items() if key not in _CHILDREN}
    if columns:
        connection.execute(update(_TABLE).where(_TABLE.c.id == customer_id)
                           .values(**columns, updated_at=utcnow()))
    _replace_children(connection, customer_id, old)
