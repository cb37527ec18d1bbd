"""Custom values where records leave or enter in bulk: the API's ``custom`` object, export
columns, import mapping (a header matches a field's label in either language, or its key)
and the list's sorts by an indexed field (``sorting``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import fields, validate
from sqlalchemy.orm import Session

from . import storage
from .models import CustomField
from .types import api_value, as_text, parse
from .values import PREFIX, locale


def api_values(fields: Iterable[CustomField], custom: Mapping[str, Any] | None
               ) -> dict[str, Any]:
    """The API's ``custom`` object of a record: every field given, None when unset."""
    custom = custom or {}
    return {item.key: api_value(item, custom.get(item.key)) for item in fields}


def export_columns(fields: Iterable[CustomField]) -> list[tuple[str, Any]]:
    """``[(header, value_of(record))]`` of the fields for an export: the header is the
    label in the reader's language, the value the text an import reads back."""
    language = locale()

    def value_of(item: CustomField) -> Any:
        return lambda record: as_text(item, (record.custom or {}).get(item.key))

    return [(item.label(language), value_of(item)) for item in fields]


def _header(text: str) -> str:
    return "".join(str(text).split()).casefold()


def import_columns(fields: Iterable[CustomField]) -> dict[str, CustomField]:
    """Headers an import maps to each field: its labels in Chinese and English, its key and
    ``custom.<key>``, compared without spaces or case."""
    found: dict[str, CustomField] = {}
    for item in fields:
        for text in (*(item.labels or {}).values(), item.key, f"{PREFIX}{item.key}"):
            if text:
                found.setdefault(_header(text), item)
    return found


def match_header(columns: Mapping[str, CustomField], header: Any) -> CustomField | None:
    """The field a spreadsheet header names, or None."""
    return columns.get(_header(str(header or "")))


def import_value(item: CustomField, cell: Any) -> Any:
    """A spreadsheet cell as the field stores it; raises ``ValueError`` with the reason."""
    return parse(item, cell)


def sort_expression(session: Session, kind: storage.RecordKind, item: CustomField) -> Any:
    """The SQL expression a list sorts by (the indexed one)."""
    dialect = session.get_bind().dialect.name
    return storage.value_expression(dialect, kind.model, item.key, item.type)


def clean_record_values(session: Session, model: type, values: dict[str, Any], user: Any,
                        record: Any = None) -> dict[str, Any]:
    """``values`` of a generated Resource's write with their ``custom`` checked into the
    record's new custom values (unchanged when the model takes no custom fields or the
    write names none)."""
    from .values import clean_values

    kind = storage.kind_of_model(model)
    if kind is None or "custom" not in values:
        return values
    current = getattr(record, "custom", None) if record is not None else None
    return {**values, "custom": clean_values(session, kind.key, values["custom"], current,
                                             user=user, new=record is None)}


class CustomValues(fields.Dict):
    """The API's ``custom`` object of a record kind: dumped as the values of the fields the
    caller may see (money as a decimal string), loaded as an object of keys and values
    (checked against the fields when written)."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(validate=validate.Length(max=40)),
                         values=fields.Raw(allow_none=True), metadata={
                             "description": "The custom fields an administrator defined, "
                                            "by key; money as a decimal string.",
                             "x-crm-custom-fields": kind}, **kwargs)
        self.kind = kind

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        from flask_login import current_user

        from ..db import get_session
        from .values import visible_fields

        user = current_user if current_user and current_user.is_authenticated else None
        return api_values(visible_fields(get_session(), self.kind, user), value)


def custom_schema_fields(model: type, *, dump: bool) -> dict[str, Any]:
    """``{"custom": CustomValues}`` for a generated schema of a model that takes custom
    fields (none otherwise)."""
    kind = storage.kind_of_model(model)
    if kind is None:
        return {}
    return {"custom": CustomValues(kind.key, dump_only=False, allow_none=not dump)}


def resource_filters(model: type, args: Any, errors: dict[str, list[str]]) -> list[Any]:
    """The checked ``custom.<...>`` filters of a Resource's list arguments (a refused one
    goes to ``errors`` under its argument)."""
    from ..db import get_session
    from .values import CustomValueError, parse_filters

    kind = storage.kind_of_model(model)
    raw = custom_args(args) if kind is not None else {}
    found: list[Any] = []
    for name, value in raw.items():
        try:
            found += parse_filters(get_session(), kind.key, {name: value})  # type: ignore[union-attr]
        except CustomValueError as exc:
            errors[name] = [str(exc)]
    return found


def resource_conditions(model: type, found: Any) -> list[Any]:
    """The WHERE conditions of ``resource_filters``' result."""
    from ..db import get_session
    from .values import conditions

    kind = storage.kind_of_model(model)
    return conditions(get_session(), kind, found) if kind is not None and found else []


def set_custom_args(args: Any) -> dict[str, str]:
    """The ``custom.<...>`` arguments of a query string that are set, their values stripped
    (all of them: a caller that refuses too many or too long ones checks them itself)."""
    return {str(key): str(value).strip() for key, value in args.items()
            if str(key).startswith(PREFIX) and str(value or "").strip()}


def custom_args(args: Any) -> dict[str, str]:
    """The set ``custom.<...>`` arguments of a query string (at most 20, short values)."""
    found = set_custom_args(args)
    return {key: value[:200] for key, value in list(found.items())[:20] if len(key) <= 60}


def apply_custom(session: Session, record: Any, values: dict[str, Any]) -> Any:
    """Store the checked ``custom`` of ``values`` on ``record`` after a plugin's own
    ``create``/``update`` service wrote the rest (its service need not know the column)."""
    if "custom" in values and storage.kind_of_model(type(record)) is not None \
            and getattr(record, "custom", None) != values["custom"]:
        record.custom = values["custom"]
        session.flush()
    return record


def export_extra(session: Session, model: type, owner_id: int | None
                 ) -> tuple[list[str], Any]:
    """``(headers, cells(record))`` a Resource's export adds: a column per custom field the
    job's owner may see (None: the system, every field), each cell as an import reads it."""
    from ..auth.models import User
    from .values import visible_fields

    kind = storage.kind_of_model(model)
    if kind is None:
        return [], lambda record: []
    owner = session.get(User, owner_id) if owner_id is not None else None
    columns = export_columns(visible_fields(session, kind.key, owner))
    return [header for header, _value in columns], \
        lambda record: [value(record) for _header, value in columns]


def resource_sort_field(model: type, sort: Any, user: Any) -> CustomField | None:
    """The custom field a Resource list's ``?sort=custom.<key>`` (``-`` or not) names, if
    ``user`` may sort by it (None: the system, any field), else None."""
    from ..db import get_session
    from .sorting import is_custom_sort, sort_field

    kind = storage.kind_of_model(model)
    if kind is None or not is_custom_sort(sort):
        return None
    return sort_field(get_session(), kind.key, sort, user)


def resource_sort_names(model: type, user: Any) -> list[str]:
    """``custom.<key>`` of every field ``user`` may sort a Resource list over ``model`` by."""
    from ..db import get_session
    from .sorting import sort_names

    kind = storage.kind_of_model(model)
    return sort_names(get_session(), kind.key, user) if kind is not None else []


def resource_sorted_page(session: Session, model: type, sort: str, user: Any,
                         statement: Any, **page: Any) -> Any:
    """A Resource list's keyset page sorted by the custom field ``sort`` names
    (``sorting.sorted_page``; ``page``: descending, limit, cursor, before)."""
    from .sorting import sorted_page

    kind = storage.kind_of_model(model)
    item = resource_sort_field(model, sort, user)
    if kind is None or item is None:
        raise ValueError(f"not a sort of {model.__name__}: {sort!r}")
    return sorted_page(session, statement, kind, item, **page)
