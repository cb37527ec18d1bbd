"""Writing many rows at once: Core inserts and updates in batches, one log entry a batch.

``bulk_write`` is for imports, demo data and batch jobs: rows go to the database as one
``executemany`` per batch (straight through the driver for inserts whose ids are given, the
fastest path measured), bypassing the ORM unit of work, so the operation log's per-row
capture does not see them. Instead each batch gets one entry naming the ids it wrote. The
entry stays scoped like any other: rows of a data-scoped table are grouped by owner and
department, and each group's entry follows its first record (whoever may see that record
may see the group's, since they share owner and department); rows of a table whose entries
follow another record (a customer's phones) are grouped by that record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, inspect, update
from sqlalchemy.orm import Session

from ..audit import capture, chain
from ..audit.context import current_origin
from ..rbac.scope import data_scope_of

__all__ = ["bulk_write", "insert_many", "log_batch"]

BATCH = 2000
_PROCESSORS: dict[tuple[int, str, str], list[tuple[int, Any]]] = {}


def _table_of(table: Any) -> Table:
    return table if isinstance(table, Table) else table.__table__


def insert_many(connection: Any, table: Any, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """One executemany of ``rows`` (tuples in the order of ``columns``) into ``table``,
    straight through the driver: the Core statement's per-row parameter processing costs as
    much as the database's insert itself. Each column's bind processor runs here (SQLite:
    dates become the text the ORM writes; JSON becomes text), once per distinct value: a
    batch shares its timestamps. Nothing is logged: callers use ``bulk_write`` for that."""
    if not rows:
        return
    table = _table_of(table)
    names = ", ".join(columns)
    cache_key = (id(connection.dialect), table.name, names)
    if cache_key not in _PROCESSORS:
        _PROCESSORS[cache_key] = [
            (index, processor) for index, name in enumerate(columns)
            if (processor := table.c[name].type.dialect_impl(connection.dialect)
                .bind_processor(connection.dialect))]
    processors = _PROCESSORS[cache_key]
    if processors:
        done: dict[Any, Any] = {}
        processed = []
        for cells in rows:
            cells = list(cells)
            for index, processor in processors:
                value = cells[index]
                if value is None:
                    continue
                if isinstance(value, dict | list):  # JSON: not hashable, rarely repeated
                    cells[index] = processor(value)
                    continue
                key = (index, value)
                found = done.get(key)
                if found is None:
                    found = done[key] = processor(value)
                cells[index] = found
            processed.append(tuple(cells))
        rows = processed
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * len(columns))
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})", list(rows))  # noqa: S608


def bulk_write(table: Any, rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]], *,
               event: str | None, session: Session | None = None,
               columns: Sequence[str] | None = None, update_rows: bool = False,
               changes: Mapping[str, Any] | None = None, message: str = "",
               batch: int = BATCH) -> list[Any]:
    """Insert (or, with ``update_rows``, update) ``rows`` of ``table`` (a model class or a
    Core table) in batches of ``batch``; returns the primary keys written, in order.

    ``rows`` are dicts of column values, or tuples in the order of ``columns`` (the fast
    path). Inserts: rows that carry their primary key are written with one driver-level
    executemany a batch; rows without it are inserted with ``RETURNING`` to learn their ids.
    Updates: each dict names the primary key and the columns to set (rows with the same
    columns share one executemany). Each batch writes one operation-log entry ``event``
    (``None``: none, for child rows that a parent's entry already names) with ``changes`` and
    the batch's ``ids``, scoped as described above. Nothing is validated and no domain event
    is called; the caller commits.
    """
    if session is None:
        from ..db import get_session

        session = get_session()
    core = _table_of(table)
    key = list(core.primary_key.columns)[0].key
    written: list[Any] = []
    for start in range(0, len(rows), batch):
        chunk = list(rows[start:start + batch])
        if columns is not None and not update_rows:  # tuples with their keys: no dicts
            position = list(columns).index(key)
            ids = [row[position] for row in chunk]
            insert_many(session.connection(), core, columns, chunk)
            as_dicts: list[Mapping[str, Any]] = _Tuples(chunk, columns)  # type: ignore[assignment]
        else:
            as_dicts = [dict(zip(columns, row, strict=True)) for row in chunk] if columns \
                else chunk  # type: ignore[assignment]
            ids = _update(session, core, key, as_dicts) if update_rows \
                else _insert(session, core, key, as_dicts)
        written.extend(ids)
        if event:
            _log(session, core, key, as_dicts, ids, event, changes, message)
    return written


class _Tuples(list):  # type: ignore[type-arg]
    """Rows given as tuples, read as mappings of the columns a log entry needs."""

    def __init__(self, rows: list[Sequence[Any]], columns: Sequence[str]) -> None:
        index = {name: position for position, name in enumerate(columns)}
        super().__init__(_TupleRow(row, index) for row in rows)
        self.tuples, self.index = rows, index


class _TupleRow(Mapping[str, Any]):
    __slots__ = ("_index", "_row")

    def __init__(self, row: Sequence[Any], index: dict[str, int]) -> None:
        self._row, self._index = row, index

    def __getitem__(self, name: str) -> Any:
        return self._row[self._index[name]]

    def __iter__(self) -> Any:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def _insert(session: Session, core: Table, key: str, rows: list[Mapping[str, Any]]
            ) -> list[Any]:
    connection = session.connection()
    # rows naming different columns go in separate executemany groups (each needs one key
    # set; column defaults apply); the ids are put back in the order of the rows
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(tuple(sorted(row)), []).append(index)
    returning = insert(core).returning(core.c[key], sort_by_parameter_order=True)
    ids: list[Any] = [row.get(key) for row in rows]
    for names, indexes in groups.items():
        params = [dict(rows[index]) for index in indexes]
        if key in names and all(ids[index] is not None for index in indexes):
            connection.execute(insert(core), params)
            continue
        for index, value in zip(indexes, connection.scalars(returning, params), strict=True):
            ids[index] = value
    return ids


def _update(session: Session, core: Table, key: str, rows: list[Mapping[str, Any]]
            ) -> list[Any]:
    connection = session.connection()
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        names = tuple(sorted(name for name in row if name != key))
        if names:
            groups.setdefault(names, []).append(
                {"_key": row[key], **{name: row[name] for name in names}})
    for names, params in groups.items():
        statement = update(core).where(core.c[key] == bindparam("_key")).values(
            {name: bindparam(name) for name in names})
        connection.execute(statement, params)
    return [row[key] for row in rows]


def _scope_groups(session: Session, core: Table, key: str, rows: list[Mapping[str, Any]],
                  ids: list[Any]) -> list[tuple[dict[str, Any], list[Any]]]:
    """``(scope columns, ids)`` per group of rows that share one scope."""
    settings = capture.settings_for(session)
    rule = settings.scopes.get(core.name) if settings is not None else None
    if rule is None:
        return [({"scope_model": None, "scope_id": None}, ids)]
    groups: dict[Any, tuple[dict[str, Any], list[Any]]] = {}
    if rule.owner_table == core.name:
        spec = data_scope_of(settings.models[core.name])  # type: ignore[union-attr]
        owner_columns = [name for name in (spec.owner, spec.department) if name] \
            if spec is not None else []
        current = _current_owners(session, core, key, owner_columns, rows, ids)
        for row_id, owner in zip(ids, current, strict=True):
            scope = groups.setdefault(owner, ({"scope_model": core.name,
                                               "scope_id": _as_int(row_id)}, []))
            scope[1].append(row_id)
    else:
        column = _column_key(settings.models[core.name], rule.column)  # type: ignore[union-attr]
        for row, row_id in zip(rows, ids, strict=True):
            owner_id = _as_int(row.get(column))
            scope = groups.setdefault(owner_id, ({"scope_model": rule.owner_table,
                                                  "scope_id": owner_id}, []))
            scope[1].append(row_id)
    return list(groups.values())


def _current_owners(session: Session, core: Table, key: str, owner_columns: list[str],
                    rows: list[Mapping[str, Any]], ids: list[Any]) -> list[tuple[Any, ...]]:
    """Each row's owner and department: from the row, or read back for an update that did
    not set them."""
    if not owner_columns:
        return [() for _row in rows]
    if isinstance(rows, _Tuples) and all(column in rows.index for column in owner_columns):
        positions = [rows.index[column] for column in owner_columns]
        return [tuple(row[position] for position in positions) for row in rows.tuples]
    if all(all(column in row for column in owner_columns) for row in rows):
        return [tuple(row[column] for column in owner_columns) for row in rows]
    from sqlalchemy import select

    found = {row[0]: tuple(row[1:]) for row in session.connection().execute(
        select(core.c[key], *(core.c[column] for column in owner_columns))
        .where(core.c[key].in_(ids)))}
    return [found.get(row_id, ()) for row_id in ids]


def _column_key(model: type, attribute: str) -> str:
    return inspect(model).get_property(attribute).columns[0].key


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def log_batch(session: Session, table: Any, ids: list[Any], event: str,
              changes: Mapping[str, Any] | None = None, message: str = "") -> None:
    """Write the scoped log entries of a batch of ``ids`` of ``table`` written (or about to
    be deleted) by Core statements of the caller's own, as ``bulk_write`` does."""
    core = _table_of(table)
    key = list(core.primary_key.columns)[0].key
    _log(session, core, key, [{} for _id in ids], ids, event, changes, message)


def _log(session: Session, core: Table, key: str, rows: list[Mapping[str, Any]],
         ids: list[Any], event: str, changes: Mapping[str, Any] | None, message: str) -> None:
    if not ids:
        return
    origin = current_origin(None)
    entries = []
    for scope, group in _scope_groups(session, core, key, rows, ids):
        entries.append(capture.new_entry(
            origin, event, core.name, None,
            {**(changes or {}), "count": len(group), "ids": _jsonable(group)},
            message or f"{event}: {len(group)} rows", scope))
    chain.append(session, entries)


def _jsonable(ids: Iterable[Any]) -> list[Any]:
    return [value if isinstance(value, int | str) else str(value) for value in ids]
