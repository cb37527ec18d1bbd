"""The default writer and undo of a spec: its model's table, through ``bulk_write``.

``table_writer(model)`` inserts new records and updates existing ones (only the filled-in
cells that differ from the stored values) in one ``bulk_write`` each, a log entry a batch.
``table_undo(model)`` deletes the records an import created and puts back the values it
overwrote where the record still holds what the import wrote, within the undoer's scope.
Multi-valued fields (lists) and relations with ``many`` are the plugin's to write: give the
spec its own ``write`` and ``undo`` then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from ..rbac.scope import scoped
from .bulk import bulk_write, log_batch
from .spec import UndoResult, WriteBatch, WriteResult

__all__ = ["table_undo", "table_writer"]

CHUNK = 500


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def table_writer(model: type) -> Callable[[WriteBatch], WriteResult]:
    """A writer of ``model``'s rows: dict keys of the clean values are its column keys."""
    key = inspect(model).primary_key[0].key

    def write(batch: WriteBatch) -> WriteResult:
        result = WriteResult()
        if batch.inserts:
            result.created = bulk_write(model, batch.inserts, event="import_create",
                                        session=batch.session,
                                        changes={"import_id": batch.import_id})
        if batch.updates:
            result.updated = _changes(batch.session, model, key, batch.updates)
            rows = [{key: record_id, **new} for record_id, (_old, new) in result.updated.items()]
            bulk_write(model, rows, event="import_update", session=batch.session,
                       update_rows=True, changes={"import_id": batch.import_id})
        return result

    return write


def _changes(session: Session, model: type, key: str, updates: list[tuple[Any, dict[str, Any]]]
             ) -> dict[Any, tuple[dict[str, Any], dict[str, Any]]]:
    """``{id: (old, new)}`` of the values that differ from the stored ones."""
    table = model.__table__  # type: ignore[attr-defined]
    ids = [record_id for record_id, _values in updates]
    current = {row[key]: row for row in session.connection().execute(
        select(table).where(table.c[key].in_(ids))).mappings()}
    changed: dict[Any, tuple[dict[str, Any], dict[str, Any]]] = {}
    for record_id, values in updates:
        stored = current.get(record_id, {})
        old = {name: _jsonable(stored.get(name)) for name, value in values.items()
               if value not in (None, "") and stored.get(name) != value}
        if old:
            changed[record_id] = (old, {name: values[name] for name in old})
    return changed


def table_undo(model: type) -> Callable[..., UndoResult]:
    """An undo for ``model``: created records deleted, overwritten values put back, in the
    scope of ``user_id`` (None: every record)."""
    pk = inspect(model).primary_key[0]
    table = model.__table__  # type: ignore[attr-defined]

    def undo(session: Session, created: list[Any], updated: dict[Any, tuple[dict, dict]],
             user_id: int | None, imp: Any = None) -> UndoResult:
        result = UndoResult()
        for start in range(0, len(created), CHUNK):
            chunk = [pk.type.python_type(value) for value in created[start:start + CHUNK]]
            visible = _visible(session, model, pk, chunk, user_id)
            if visible:
                log_batch(session, model, visible, "import_undo_delete")
                session.connection().execute(delete(table).where(pk.in_(visible)))
            result.removed += len(visible)
            result.skipped += len(chunk) - len(visible)
        restore = []
        ids = [pk.type.python_type(value) for value in updated]
        visible_ids = set()
        for start in range(0, len(ids), CHUNK):
            visible_ids |= set(_visible(session, model, pk, ids[start:start + CHUNK], user_id))
        current = {row[pk.key]: row for row in session.connection().execute(
            select(table).where(pk.in_(visible_ids))).mappings()} if visible_ids else {}
        for record_id, (old, new) in updated.items():
            record_id = pk.type.python_type(record_id)
            stored = current.get(record_id)
            back = {name: value for name, value in old.items()
                    if stored is not None and _jsonable(stored.get(name)) == _jsonable(
                        new.get(name))}
            if back:
                restore.append({pk.key: record_id, **back})
                result.restored += 1
            else:
                result.skipped += 1
        if restore:
            bulk_write(model, restore, event="import_undo_restore", session=session,
                       update_rows=True)
        return result

    return undo


def _visible(session: Session, model: type, pk: Any, ids: list[Any], user_id: int | None
             ) -> list[Any]:
    query = select(pk).where(pk.in_(ids))
    if user_id is not None:
        query = scoped(query, model, user_id)
    return list(session.scalars(query))
