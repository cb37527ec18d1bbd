"""Custom values of records: which fields a user sees and edits, checking what a form,
the API or an import sends, the list filters (``?custom.<key>=``) and what pages show.

Every path that writes a record's ``custom`` calls ``clean_values``: a refused value raises
``CustomValueError`` naming ``custom.<key>`` (a form shows it under the input, the API
answers 422 with it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import exists, func, literal, literal_column, select
from sqlalchemy.orm import Session

from ..errors import DomainError
from . import storage
from .cache import definitions
from .cache import forget as forget  # noqa: PLC0414  (re-exported)
from .models import CustomField
from .types import CHOICE_TYPES, INDEXABLE, NUMBER_TYPES, display, empty, parse

PREFIX = "custom."


class CustomValueError(DomainError):
    """A custom value refused; ``field`` is ``custom.<key>``."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.field = f"{PREFIX}{key}"


def locale() -> str:
    """The reader's locale as the labels are keyed (``zh_CN``/``en``)."""
    try:
        return str(get_locale() or "en")
    except (RuntimeError, AttributeError):
        return "en"


def active_fields(session: Session, kind: str) -> list[CustomField]:
    """The active fields of ``kind`` (kept in memory for a few seconds: ``cache``)."""
    return definitions(session, kind)


def _roles(session: Session, user: Any) -> set[str] | None:
    """The user's role names; None for no user (the system) or a superuser: no limit."""
    if user is None or getattr(user, "is_superuser", False):
        return None
    cached = getattr(user, "__dict__", {}).get("_crm_role_names")
    if cached is None:
        from ..rbac.service import user_role_names

        cached = set(user_role_names(session, user.id))
        user.__dict__["_crm_role_names"] = cached
    return cached


def visible_fields(session: Session, kind: str, user: Any) -> list[CustomField]:
    """The active fields of ``kind`` that ``user`` may see (the user's roles are read only
    when some field is limited to roles)."""
    fields = active_fields(session, kind)
    if not any(item.view_roles for item in fields):
        return fields
    roles = _roles(session, user)
    return [item for item in fields
            if roles is None or not item.view_roles or roles & set(item.view_roles)]


def editable_fields(session: Session, kind: str, user: Any) -> list[CustomField]:
    """The visible fields ``user`` may also change."""
    fields = visible_fields(session, kind, user)
    if not any(item.edit_roles for item in fields):
        return fields
    roles = _roles(session, user)
    return [item for item in fields
            if roles is None or not item.edit_roles or roles & set(item.edit_roles)]


def _check_user(session: Session, key: str, user_id: int) -> None:
    from ..auth.models import User

    found = session.get(User, user_id)
    if found is None or not found.is_active:
        raise CustomValueError(key, _("There is no such active user."))


def clean_values(session: Session, kind: str, incoming: Any, current: Mapping[str, Any]
                 | None = None, *, user: Any = None, new: bool = False) -> dict[str, Any]:
    """The record's new ``custom`` dict: ``current`` with the checked values of
    ``incoming`` (``{key: value}``; a key left out keeps its value). A new record gets the
    defaults of fields not given; a required field left empty, an unknown key, a field the
    user may not edit or a value of the wrong type raises ``CustomValueError``. Values of
    archived fields are kept untouched."""
    if incoming is None:
        incoming = {}
    if not isinstance(incoming, Mapping):
        raise CustomValueError("", _("Send custom values as an object of keys and values."))
    fields = {item.key: item for item in active_fields(session, kind)}
    editable = {item.key for item in editable_fields(session, kind, user)}
    result = dict(current or {})
    for key, value in incoming.items():
        item = fields.get(str(key))
        if item is None:
            raise CustomValueError(str(key)[:40], _("There is no such custom field."))
        if key not in editable:
            if value == result.get(key) or (empty(value) and empty(result.get(key))):
                continue
            raise CustomValueError(key, _("You may not change this field."))
        try:
            stored = parse(item, value, result.get(key))
        except ValueError as exc:
            raise CustomValueError(key, str(exc)) from None
        if item.type == "user" and stored is not None:
            _check_user(session, key, stored)
        if stored is None:
            result.pop(key, None)
        else:
            result[key] = stored
    for key, item in fields.items():
        if new and key not in incoming and item.default is not None:
            result[key] = item.default
        if item.required and empty(result.get(key)) and (new or key in incoming):
            raise CustomValueError(key, _("%(field)s is required.",
                                          field=item.label(locale())))
    return result


# -- list filters ------------------------------------------------------------------------


def filter_args(fields: Iterable[CustomField]) -> dict[str, tuple[CustomField, str]]:
    """The query arguments the fields filter by: ``custom.<key>`` (equal; a choice or a
    yes/no), ``custom.<key>_min``/``_max`` (numbers) and ``_from``/``_to`` (dates)."""
    args: dict[str, tuple[CustomField, str]] = {}
    for item in fields:
        base = f"{PREFIX}{item.key}"
        if item.type in NUMBER_TYPES:
            args[f"{base}_min"], args[f"{base}_max"] = (item, "min"), (item, "max")
        elif item.type in ("date", "datetime"):
            args[f"{base}_from"], args[f"{base}_to"] = (item, "from"), (item, "to")
        if item.type not in ("long_text",):
            args[base] = (item, "eq")
    return args


def parse_filters(session: Session, kind: str, args: Mapping[str, Any], user: Any = None
                  ) -> list[tuple[CustomField, str, Any]]:
    """The custom filters of a query string, checked: ``[(field, op, value)]``. Raises
    ``CustomValueError`` naming a refused argument."""
    known = filter_args(visible_fields(session, kind, user))
    found = []
    for arg, raw in args.items():
        if not str(arg).startswith(PREFIX) or raw in (None, ""):
            continue
        if arg not in known:
            raise CustomValueError(str(arg)[len(PREFIX):][:60], _("There is no such filter."))
        item, op = known[arg]
        probe = CustomField(key=item.key, type="decimal" if item.type == "money" and op in
                            ("min", "max") else item.type, options=item.options)
        if op in ("from", "to"):
            probe.type = "date"
        try:
            text = str(raw)[:200]
            # a removed option may still be looked for (records keep it); nothing else
            held = text if item.option(text.strip()) is not None else None
            value = parse(probe, text, held.strip() if held else None)
        except ValueError as exc:
            raise CustomValueError(str(arg)[len(PREFIX):], str(exc)) from None
        if item.type == "money" and op in ("min", "max"):
            value = value * 100
        if item.type == "multi_choice" and isinstance(value, list):
            value = value[0]
        found.append((item, op, value))
    return found


#: A range holding at least this many records is walked in the list's order on SQLite
#: (``conditions(walk_order=True)``): sorting them costs more than passing the others.
WIDE_RANGE = 5000
RANGE_OPS = ("min", "max", "from", "to")


def conditions(session: Session, kind: storage.RecordKind,
               filters: Iterable[tuple[CustomField, str, Any]], *,
               walk_order: bool = False) -> list[Any]:
    """The WHERE conditions of checked filters (the indexed expression, so a filterable
    field's index answers).

    ``walk_order`` (a list page in its own order, on SQLite): a range filter holding
    ``WIDE_RANGE`` records or more is written so that SQLite walks the index of the page's
    order and checks the range on the way (``+expr``) instead of reading every record in
    the range by the field's index and sorting them all: SQLite keeps no statistics of a
    range (at 1M customers, 2 % in a money range: 56 ms sorted, 8 ms walked; a narrow range
    the other way round, 0.3 ms against seconds). One bounded count through the field's
    index (``LIMIT WIDE_RANGE``, under 1 ms) decides. PostgreSQL plans from its statistics.
    """
    filters = list(filters)
    dialect = session.get_bind().dialect.name
    walked = _wide_ranges(session, kind, filters) if walk_order and dialect == "sqlite" \
        else set()
    found = []
    for item, op, value in filters:
        column = storage.value_expression(dialect, kind.model, item.key, item.type)
        if item.key in walked and op in RANGE_OPS:
            column = literal_column(f"+{column}")
        if item.type == "multi_choice":
            found.append(_contains(dialect, kind, item.key, value))
        elif op == "eq":
            found.append(column == _sql_value(dialect, item, value))
        elif op == "min":
            found.append(column >= value)
        elif op == "max":
            found.append(column <= value)
        elif op == "from":
            found.append(column >= value)
        elif op == "to" and value < dt.date.max.isoformat():  # the last day: no bound
            end = (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()
            found.append(column < end)
    return found


def _wide_ranges(session: Session, kind: storage.RecordKind,
                 filters: list[tuple[CustomField, str, Any]]) -> set[str]:
    """The keys of the range-filtered fields whose range holds ``WIDE_RANGE`` records or
    more (counted through each field's index, at most ``WIDE_RANGE`` entries read)."""
    wide = set()
    for key in {item.key for item, op, _value in filters if op in RANGE_OPS}:
        only = [(field, op, value) for field, op, value in filters
                if field.key == key and op in RANGE_OPS]
        inside = select(literal(1)).select_from(kind.model) \
            .where(*conditions(session, kind, only)).limit(WIDE_RANGE).subquery()
        if session.scalar(select(func.count()).select_from(inside)) >= WIDE_RANGE:
            wide.add(key)
    return wide


def _sql_value(dialect: str, item: CustomField, value: Any) -> Any:
    if item.type == "boolean":
        return ("true" if value else "false") if dialect == "postgresql" else int(value)
    if item.type == "user" and dialect == "postgresql":
        return str(value)
    return value


def _contains(dialect: str, kind: storage.RecordKind, key: str, value: str) -> Any:
    table = f"{kind.table}.{storage.COLUMN}"
    if dialect == "postgresql":
        return literal_column(f"({table} -> '{key}')").op("?")(value)
    each = func.json_each(literal_column(table), f"$.{key}").table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == value))


def sortable(fields: Iterable[CustomField]) -> list[CustomField]:
    """The fields a list may sort by: the filterable (indexed) ones."""
    return [item for item in fields if item.filterable and item.type in INDEXABLE]


# -- showing -----------------------------------------------------------------------------


def shown_values(session: Session, fields: Iterable[CustomField],
                 records: Iterable[Any]) -> dict[int, dict[str, str]]:
    """``{record id: {key: text}}`` of the records' values as pages show them (users'
    names loaded in one statement)."""
    from ..rbac.users import user_names

    records, fields = list(records), list(fields)
    user_keys = [item.key for item in fields if item.type == "user"]
    ids = {(record.custom or {}).get(key) for record in records for key in user_keys}
    names = user_names(session, {i for i in ids if isinstance(i, int)}) if user_keys else {}
    return {record.id: {item.key: display(item, (record.custom or {}).get(item.key), names)
                        for item in fields} for record in records}


def option_colour(item: CustomField, value: Any) -> str | None:
    """The colour of a choice value (None for other types or a removed option)."""
    if item.type not in CHOICE_TYPES:
        return None
    option = item.option(value)
    return option.get("colour") if option and not option.get("removed") else None
