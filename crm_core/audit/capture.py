"""SQLAlchemy session events that turn every row change into an operation log entry.

The listeners are installed once on the ``Session`` class, so they see every session: the
app context's, ``Database.new_session()``'s, a worker's. Several apps can live in one process
(tests), so a session finds its app's settings through the engine it is bound to; a session
on an engine no app registered is left alone.

What is recorded: every insert, update and delete the unit of work flushes, and ORM-enabled
``insert()/update()/delete()`` statements run through ``session.execute``, for every model
an enabled plugin (or the kernel) registers, except models with ``__audit__ = False``.
Columns named in a model's ``__audit_sensitive__`` are masked as ``"***"``. Rows the
database itself will delete or clear (``ON DELETE CASCADE`` / ``SET NULL``) are read before
the delete and recorded with the message ``CASCADE``. Raw SQL (``text()``) is not seen.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect, select, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidRequestError, UnboundExecutionError
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.state import InstanceState

from ..db import utcnow
from . import chain, scoping
from .context import Origin, current_origin
from .messages import CASCADE, split_message

MASK = "***"
_engines: weakref.WeakKeyDictionary[Engine, AuditSettings] = weakref.WeakKeyDictionary()
_installed = False


@dataclass(frozen=True)
class AuditSettings:
    """What one app records: its audited models by table name, and whose data scope the
    entries of each scoped table follow."""

    models: dict[str, type]
    scopes: dict[str, scoping.ScopeRule]


def register(engine: Engine, models: list[type]) -> None:
    """Record writes made through ``engine`` to any of ``models`` (unless they opt out)."""
    audited = {model.__table__.name: model for model in models
               if getattr(model, "__audit__", True) is not False}
    _engines[engine] = AuditSettings(audited, scoping.rules_for(audited))
    _install()


def settings_for(session: Session) -> AuditSettings | None:
    """The audit settings of the app whose engine ``session`` is bound to, if any."""
    try:
        bind = session.get_bind()
    except UnboundExecutionError:  # an unbound session: no app of ours
        return None
    return _engines.get(getattr(bind, "engine", bind))


def settings_for_engine(engine: Engine) -> AuditSettings | None:
    """The audit settings registered for ``engine``, if any."""
    return _engines.get(engine)


def _install() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "after_transaction_end", _after_transaction_end)
    _installed = True


# -- building entries ---------------------------------------------------------------------

def new_entry(origin: Origin, action: str, model: str | None, record_id: str | None,
              changes: dict[str, Any], message: Any = "",
              scope: dict[str, Any] | None = None) -> dict[str, Any]:
    """An entry as a dict of AuditEntry columns (chain fields added on append); ``scope``:
    ``scoping.scope_of``; ``message``: a text or a lazy string (``messages.py``)."""
    message, message_data = split_message(message)
    return {
        "at": utcnow(), "user_id": origin.actor.user_id, "username": origin.actor.username,
        "request_id": origin.request_id, "ip": origin.ip, "action": action, "model": model,
        "record_id": record_id, "changes": chain.canonical_json(changes), "message": message,
        "message_data": message_data, "scope_model": None, "scope_id": None, **(scope or {}),
    }


def record_key(values: list[Any] | tuple[Any, ...]) -> str | None:
    """A primary key as text; the parts of a composite key joined with ","."""
    if not values or all(value is None for value in values):
        return None
    return ",".join("" if value is None else str(value) for value in values)


def _masked(model: type, key: str, value: Any) -> Any:
    return MASK if value is not None and key in getattr(model, "__audit_sensitive__", ()) else value


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | dict | list | tuple):
        return value  # JSON as is (nested dates and decimals: see chain.json_default)
    return chain.json_default(value)


class _Pending:
    """Entries of one flush, sharing one origin (looked up once, only if needed)."""

    def __init__(self, settings: AuditSettings) -> None:
        self.entries: list[dict[str, Any]] = []
        self._origin: Origin | None = None
        self._scopes = settings.scopes

    def add(self, action: str, table: str, key: str | None, changes: dict[str, Any],
            message: Any = "", row: dict[str, Any] | None = None) -> None:  # row: for scope
        if self._origin is None:
            self._origin = current_origin()
        scope = scoping.scope_of(self._scopes, table, row or {})
        self.entries.append(new_entry(self._origin, action, table, key, changes, message,
                                      scope))


def _audited(settings: AuditSettings, state: InstanceState[Any]) -> type | None:
    model = state.mapper.class_
    table = state.mapper.local_table.name
    if settings.models.get(table) is None or getattr(model, "__audit__", True) is False:
        return None
    return model


def _pk_of(state: InstanceState[Any]) -> str | None:
    mapper = state.mapper
    values = [state.dict.get(mapper.get_property_by_column(column).key)
              for column in mapper.primary_key]
    if all(value is None for value in values) and state.key is not None:
        values = list(state.key[1])
    return record_key(values)


_CASCADED = "crm_audit_cascaded"  # session.info key: entries of rows the database will change


def cascaded(session: Session, settings: AuditSettings, table: Any,
             rows: list[dict[str, Any]], skip: set[tuple[str, str | None]],
             depth: int = 0) -> list[tuple[str, str, str | None, dict[str, Any], dict[str, Any]]]:
    """Rows of audited tables the database deletes (``ON DELETE CASCADE``) or clears
    (``SET NULL``) when ``rows`` of ``table`` are deleted, read before they change.

    Returns ``(action, table, record id, changes, row)`` tuples (``row``: the values read);
    rows in ``skip`` (the session deletes them itself) are left out.
    """
    found: list[tuple[str, str, str | None, dict[str, Any], dict[str, Any]]] = []
    if not rows or depth > 4:
        return found
    for name, model in settings.models.items():
        child = model.__table__
        for constraint in child.foreign_key_constraints:
            action = (constraint.ondelete or "").upper()
            if (constraint.referred_table.name != table.name
                    or action not in ("CASCADE", "SET NULL")):
                continue
            local = list(constraint.columns)
            remote = [element.column for element in constraint.elements]
            keys = {tuple(row.get(column.key) for column in remote) for row in rows}
            keys.discard(tuple(None for _ in remote))
            if not keys:
                continue
            where = local[0].in_([key[0] for key in keys]) if len(local) == 1 else \
                tuple_(*local).in_(list(keys))
            children = _select_rows(session, child, where)
            pk = list(child.primary_key.columns)
            deleted = []
            for row in children:
                key = record_key([row[column.key] for column in pk])
                if (name, key) in skip:
                    continue
                if action == "CASCADE":
                    deleted.append(row)
                    found.append(("delete", name, key, _row_changes(model, row, None), row))
                else:
                    changes = _row_changes(model, {c.key: row[c.key] for c in local},
                                           {c.key: None for c in local})
                    if changes:
                        found.append(("update", name, key, changes, row))
            found += cascaded(session, settings, child, deleted, skip, depth + 1)
    return found


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Take the chain lock before the first logged change is written; read what rows about
    to be deleted hold, and what the database will cascade to."""
    session.info.pop(_CASCADED, None)
    settings = settings_for(session)
    if settings is None:
        return
    changed = [*session.new, *session.deleted,
               *(obj for obj in session.dirty if session.is_modified(obj))]
    if any(_audited(settings, inspect(obj)) is not None for obj in changed):
        chain.lock(session)
    scoping.load_owner_columns(session.dirty, settings.scopes)
    by_table: dict[Any, list[dict[str, Any]]] = {}
    skip: set[tuple[str, str | None]] = set()
    for obj in list(session.deleted):
        state = inspect(obj)
        if _audited(settings, state) is None:
            continue
        keys = {prop.key for prop in state.mapper.column_attrs}
        for key in keys & state.unloaded:
            getattr(obj, key)  # loads every expired column at once
        table = state.mapper.local_table
        by_table.setdefault(table, []).append(
            {column.key: state.dict.get(state.mapper.get_property_by_column(column).key)
             for column in table.columns})
        skip.add((table.name, _pk_of(state)))
    found = []
    for table, rows in by_table.items():
        found += cascaded(session, settings, table, rows, skip)
    if found:
        session.info[_CASCADED] = found


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Write one entry per inserted, updated and deleted row, in one INSERT per flush."""
    settings = settings_for(session)
    if settings is None:
        return
    pending = _Pending(settings)
    new_states = sorted((inspect(obj) for obj in session.new), key=lambda s: s.insert_order)
    for state in new_states:
        model = _audited(settings, state)
        if model is None:
            continue
        changes = {prop.key: {"new": _jsonable(_masked(model, prop.key, state.dict[prop.key]))}
                   for prop in state.mapper.column_attrs if prop.key in state.dict}
        pending.add("insert", state.mapper.local_table.name, _pk_of(state), changes,
                    row=state.dict)
    for obj in session.dirty:
        state = inspect(obj)
        model = _audited(settings, state)
        if model is None:
            continue
        changes = {}
        for prop in state.mapper.column_attrs:
            history = state.attrs[prop.key].history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            changes[prop.key] = {"old": _jsonable(_masked(model, prop.key, old)),
                                 "new": _jsonable(_masked(model, prop.key, new))}
        if changes:
            pending.add("update", state.mapper.local_table.name, _pk_of(state), changes,
                        row=state.dict)
    for obj in session.deleted:
        state = inspect(obj)
        model = _audited(settings, state)
        if model is None:
            continue
        changes = {prop.key: {"old": _jsonable(_masked(model, prop.key, state.dict[prop.key]))}
                   for prop in state.mapper.column_attrs if prop.key in state.dict}
        pending.add("delete", state.mapper.local_table.name, _pk_of(state), changes,
                    row=state.dict)
    for action, table, key, changes, row in session.info.pop(_CASCADED, ()):
        pending.add(action, table, key, changes, CASCADE, row)
    chain.append(session, pending.entries)


def _after_transaction_end(session: Session, _transaction: Any) -> None:
    chain.forget_tail(session)
    session.info.pop(_CASCADED, None)


# -- insert()/update()/delete() statements --------------------------------------------------

def _column_values(table: Any, values: dict[str, Any], model: type) -> dict[str, Any]:
    """Statement parameters (by column or attribute key) as ``{column: {"new": value}}``."""
    keys = {column.key for column in table.columns}
    return {key: {"new": _jsonable(_masked(model, key, value))}
            for key, value in values.items() if key in keys}


def _statement_values(state: ORMExecuteState) -> list[dict[str, Any]]:
    """The rows an insert statement writes: its ``.values()``, or each parameter set of an
    ORM bulk insert (``session.execute(insert(Model), [{...}, ...])``)."""
    params = state.parameters
    if isinstance(params, dict):
        params = [params]
    if params:
        return [dict(row) for row in params]
    compiled = state.statement.compile(dialect=state.session.get_bind().dialect)
    # Column defaults computed at execution show up as None here: leave them out.
    defaults = {column.key for column in getattr(compiled, "insert_prefetch", ())}
    return [{key: value for key, value in compiled.params.items() if key not in defaults}]


def _row_changes(model: type, old: dict[str, Any] | None, new: dict[str, Any] | None
                 ) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in (new or old or {}):
        before = old.get(key) if old is not None else None
        after = new.get(key) if new is not None else None
        if old is not None and new is not None and before == after:
            continue
        change: dict[str, Any] = {}
        if old is not None:
            change["old"] = _jsonable(_masked(model, key, before))
        if new is not None:
            change["new"] = _jsonable(_masked(model, key, after))
        changes[key] = change
    return changes


def _select_rows(session: Session, table: Any, where: Any) -> list[dict[str, Any]]:
    query = select(*table.columns)
    if where is not None:
        query = query.where(where)
    return [dict(row) for row in session.connection().execute(query).mappings()]


def _reselect(session: Session, table: Any, pk_columns: list[Any],
              keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        if len(pk_columns) == 1:
            where = pk_columns[0].in_([key[0] for key in chunk])
        else:
            where = tuple_(*pk_columns).in_(chunk)
        for row in _select_rows(session, table, where):
            found[tuple(row[column.key] for column in pk_columns)] = row
    return found


def _on_execute(state: ORMExecuteState) -> Any:
    """Record the rows an ORM-enabled insert, update or delete statement changes."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    session = state.session
    settings = settings_for(session)
    table = getattr(state.statement, "table", None)
    model = settings.models.get(getattr(table, "name", "")) if settings else None
    if model is None:
        return None
    chain.lock(session)
    pending = _Pending(settings)
    pk_columns = list(table.primary_key.columns)

    def key_of(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row.get(column.key) for column in pk_columns)

    if state.is_insert:
        rows = _statement_values(state)
        result = state.invoke_statement()
        if getattr(result, "rowcount", -1) == 0:
            return result
        single_pk = None
        if len(rows) == 1:
            try:
                single_pk = result.inserted_primary_key
            except (InvalidRequestError, AttributeError):  # none here: keys from the values
                single_pk = None
        for row in rows:
            key = record_key(list(single_pk)) if single_pk else record_key(key_of(row))
            pending.add("insert", table.name, key, _column_values(table, row, model),
                        row={**row, **dict(zip([c.key for c in pk_columns], single_pk or (),
                                               strict=False))})
    else:
        where = state.statement.whereclause
        before = _select_rows(session, table, where)
        if state.is_update:
            result = state.invoke_statement()
            after = _reselect(session, table, pk_columns, [key_of(row) for row in before])
            # Like a flush, leave out what only ``onupdate`` changed (updated_at): the entry's
            # own time says when.
            automatic = {column.key for column in table.columns if column.onupdate is not None}
            for row in before:
                new = after.get(key_of(row))
                changes = _row_changes(model, row, new) if new is not None else {}
                changes = {key: value for key, value in changes.items() if key not in automatic}
                if changes:
                    pending.add("update", table.name, record_key(key_of(new or row)), changes,
                                row=new or row)
        else:
            found = cascaded(session, settings, table, before, set())
            result = state.invoke_statement()
            for row in before:
                pending.add("delete", table.name, record_key(key_of(row)),
                            _row_changes(model, row, None), row=row)
            for action, name, key, changes, cascade_row in found:
                pending.add(action, name, key, changes, CASCADE,
                            cascade_row)
    chain.append(session, pending.entries)
    return result
