"""Which record's data scope an operation log entry follows, stored on the entry when written.

An entry about a row of a data-scoped model (``__data_scope__``) follows that row. A model
whose rows belong to a scoped record without being scoped themselves (a customer's contact
records, phones, tags) follows the record its foreign key names: a model with a foreign key
to exactly one data-scoped table needs no declaration. One with several says which::

    class Visit(Model):
        __audit_scope__ = ("customer_id", Customer)   # column, scoped model (or its table)

Each entry stores ``scope_model`` (the scoped table) and ``scope_id`` (its record's id) at
write time, so reading the log needs no parsing of entries: whether the record is in a
viewer's scope *now* is one primary-key look-up per entry (``visibility.py``). An entry of
a scoped or declared model whose owner cannot be told (no value) still gets ``scope_model``,
with no id: only viewers of the whole log see it.

The two columns are not part of the entry's hash: they are derived, may be filled in for
entries written before they existed (``backfill``), and only decide who may read an entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Connection, Integer, and_, cast, inspect, select, update

from ..errors import RegistryError
from ..rbac.scope import data_scope_of
from .models import AuditEntry


@dataclass(frozen=True)
class ScopeRule:
    """Entries of one table follow ``owner_table``'s record whose id is in ``column``."""

    owner_table: str
    column: str  # attribute key holding the owner's id (the primary key for a scoped model)


def _single_int_pk(model: type, what: str) -> str:
    columns = list(inspect(model).primary_key)
    if len(columns) != 1 or not isinstance(columns[0].type, Integer | BigInteger):
        raise RegistryError(f"{model.__name__}: {what} needs a single integer primary key")
    return inspect(model).get_property_by_column(columns[0]).key


def rules_for(models: Mapping[str, type]) -> dict[str, ScopeRule]:
    """``{table: ScopeRule}`` for the audited ``models`` (by table) that are data-scoped or
    declare ``__audit_scope__``; raises RegistryError for a declaration that cannot work."""
    rules: dict[str, ScopeRule] = {}
    for table, model in models.items():
        if data_scope_of(model) is not None:
            rules[table] = ScopeRule(table, _single_int_pk(model, "__data_scope__"))
    scoped = dict(rules)  # only the data-scoped tables themselves are owners
    for table, model in models.items():
        declared = getattr(model, "__audit_scope__", None)
        if table in rules:
            continue
        if declared is None:
            inferred = _inferred(model, scoped)
            if inferred is not None:
                rules[table] = inferred
            continue
        try:
            column, owner = declared
        except (TypeError, ValueError):
            raise RegistryError(f"{model.__name__}.__audit_scope__ must be (column, scoped "
                                f"model), not {declared!r}") from None
        owner_table = owner if isinstance(owner, str) else getattr(owner, "__tablename__", None)
        owner_model = models.get(owner_table or "")
        if owner_model is None or data_scope_of(owner_model) is None:
            raise RegistryError(f"{model.__name__}.__audit_scope__ names {owner!r}, which is "
                                "not an audited model with __data_scope__")
        if column not in {prop.key for prop in inspect(model).column_attrs}:
            raise RegistryError(f"{model.__name__}.__audit_scope__ names {column!r}, which "
                                "is not one of its columns")
        rules[table] = ScopeRule(owner_table, column)
    return rules


def _inferred(model: type, scoped: Mapping[str, ScopeRule]) -> ScopeRule | None:
    """The rule of a model with a foreign key to exactly one data-scoped table: its rows
    belong to that table's records. Several such keys need a declaration."""
    mapper = inspect(model)
    found = {}
    for constraint in model.__table__.foreign_key_constraints:  # type: ignore[attr-defined]
        target = constraint.referred_table.name
        if len(constraint.columns) == 1 and target in scoped and target != \
                model.__table__.name:  # type: ignore[attr-defined]
            column = next(iter(constraint.columns))
            found[(target, mapper.get_property_by_column(column).key)] = True
    if len(found) > 1:
        raise RegistryError(f"{model.__name__} refers to several data-scoped records; say "
                            "whose scope its log entries follow with __audit_scope__ = "
                            "(column, model)")
    if not found:
        return None
    target, column = next(iter(found))
    return ScopeRule(target, column)


def scope_of(rules: Mapping[str, ScopeRule], table: str | None, values: Mapping[str, Any]
             ) -> dict[str, Any]:
    """The ``scope_model``/``scope_id`` columns of an entry about a row of ``table`` whose
    column values (by attribute key) are ``values``; both None for an unscoped table."""
    rule = rules.get(table or "")
    if rule is None:
        return {"scope_model": None, "scope_id": None}
    return {"scope_model": rule.owner_table, "scope_id": _as_id(values.get(rule.column))}


def load_owner_columns(objects: Iterable[Any], rules: Mapping[str, ScopeRule]) -> None:
    """Load the owner column of changed rows whose value was expired, before a flush: the
    entry written after it needs it, and a flush must not load attributes."""
    for obj in objects:
        state = inspect(obj)
        rule = rules.get(state.mapper.local_table.name)
        if rule is not None and rule.column in state.unloaded:
            getattr(obj, rule.column)


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def scope_of_record(session: Any, rules: Mapping[str, ScopeRule], models: Mapping[str, type],
                    table: str | None, record_id: str | None) -> dict[str, Any]:
    """The scope of an event about one record (``record_event``): the record's own id for a
    scoped model, its owner's id (read from the row) for a declared one. An event about a
    model but no record (an export) follows whoever made it, as any unscoped entry."""
    rule = rules.get(table or "")
    if rule is None or record_id is None:
        return scope_of({}, table, {})
    if rule.owner_table == table:
        return {"scope_model": table, "scope_id": _as_id(record_id)}
    model = models[table or ""]
    key = _as_id(record_id)
    owner = None
    if key is not None and len(inspect(model).primary_key) == 1:
        pk = inspect(model).primary_key[0]
        owner = session.scalar(select(getattr(model, rule.column)).where(pk == key))
    return {"scope_model": rule.owner_table, "scope_id": _as_id(owner)}


def audited_models(platform: Any, tables: set[str] | None = None) -> dict[str, type]:
    """``{table: model}`` of the enabled plugins' audited models (only those in ``tables``
    when given: the tables that exist)."""
    return {model.__table__.name: model for classes in platform.models.values()
            for model in classes if getattr(model, "__audit__", True) is not False
            and (tables is None or model.__table__.name in tables)}


def backfill(connection: Connection, models: Mapping[str, type]) -> int:
    """Fill ``scope_model``/``scope_id`` of entries written before the columns existed.

    Entries about a scoped model's rows get the row's id; entries about a declared model's
    rows get the owner id of the row as it is now (rows with a single-column key that still
    exist); the rest keep ``scope_model`` with no id, readable only with the whole log.
    Returns how many entries were updated.
    """
    log = AuditEntry.__table__
    if connection.dialect.name == "postgresql":
        numeric = log.c.record_id.op("~", is_comparison=True)("^[0-9]{1,18}$")
    else:
        numeric = and_(log.c.record_id.op("NOT GLOB", is_comparison=True)("*[^0-9]*"),
                       log.c.record_id != "")
    record_id = cast(log.c.record_id, BigInteger)
    changed = 0
    for table, rule in rules_for(models).items():
        pending = (log.c.model == table) & log.c.scope_model.is_(None)
        model = models[table]
        pk_columns = list(inspect(model).primary_key)
        value: Any = None
        if rule.owner_table == table:
            value = record_id
        elif len(pk_columns) == 1:
            value = (select(getattr(model, rule.column))
                     .where(pk_columns[0] == record_id).scalar_subquery())
        if value is not None:
            result = connection.execute(update(log).where(pending & numeric).values(
                scope_model=rule.owner_table, scope_id=value))
            changed += int(result.rowcount or 0)
        result = connection.execute(update(log).where(pending).values(
            scope_model=rule.owner_table))
        changed += int(result.rowcount or 0)
    return changed
