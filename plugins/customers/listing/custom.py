"""The custom fields on the customer list: a filter input per filterable field (a choice
list, a yes/no, a range, a date range or a text), the cells of the custom columns
(which ones: ``columns.py``, by default the filterable fields), the
``custom`` list filter they make (``{"custom.<key>": text}``, kept in the page's links and
in segments like the built-in filters) and the sorts by an indexed one (``sort=custom.<key>``,
the list and the API: a keyset page through the field's index, empty values last)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from crm_core.toolkit import custom_fields

from ..records.custom import KIND, custom_args
from ..records.queries import SORTS
from ..validation import FieldError

NUMBERS = ("integer", "decimal", "money")
DATES = ("date", "datetime")


def read_filters(session: Session, user: Any, args: Mapping[str, Any], segment: Any
                 ) -> tuple[dict[str, str], dict[str, str]]:
    """``(filters, errors)``: the custom filters of the query string (or of the segment),
    checked; a refused one is left out and its message kept under its argument."""
    stored = (segment.filters or {}).get("custom") if segment is not None else None
    raw = custom_args(stored if isinstance(stored, Mapping) else {} if segment else args)
    kept, errors = {}, {}
    for name, value in raw.items():
        try:
            custom_fields.parse_filters(session, KIND, {name: value}, user)
        except custom_fields.CustomValueError as exc:
            errors[name] = str(exc)
        else:
            kept[name] = value
    return kept, errors


def filter_inputs(session: Session, user: Any, values: Mapping[str, str],
                  errors: Mapping[str, str]) -> list[dict[str, Any]]:
    """What the filter panel shows per filterable field: ``{label, kind, inputs: [(name,
    label, value, error)], options}``."""
    shown = []
    for item in custom_fields.visible_fields(session, KIND, user):
        if not item.filterable or item.type == "long_text":
            continue
        base, label = f"{custom_fields.PREFIX}{item.key}", item.label(custom_fields.locale())
        if item.type in NUMBERS:
            names = [(f"{base}_min", _("%(field)s from", field=label)),
                     (f"{base}_max", _("%(field)s to", field=label))]
            kind = "number"
        elif item.type in DATES:
            names = [(f"{base}_from", _("%(field)s from", field=label)),
                     (f"{base}_to", _("%(field)s to", field=label))]
            kind = "date"
        else:
            names, kind = [(base, label)], "select" if item.type in (
                "choice", "multi_choice", "boolean") else "text"
        options = [("true", _("Yes")), ("false", _("No"))] if item.type == "boolean" else \
            [(value, value) for value in item.option_values()]
        shown.append({"kind": kind, "options": options, "inputs": [
            (name, text, values.get(name, ""), errors.get(name)) for name, text in names]})
    return shown


def cells(session: Session, fields: list[Any], customers: list[Any]
          ) -> dict[int, dict[str, str]]:
    """``{customer id: {key: text}}`` of the page's custom columns."""
    return custom_fields.shown_values(session, fields, customers) if fields else {}


def sort_choices(session: Session, user: Any) -> list[tuple[str, str]]:
    """``[("custom.<key>", label)]``: the list's sorts by a custom field (filterable, of an
    indexed type) the user may see."""
    return [(f"{custom_fields.PREFIX}{item.key}", item.label(custom_fields.locale()))
            for item in custom_fields.sort_fields(session, KIND, user)]


def sorted_customers(session: Session, user: Any, statement: Any, sort: str, *,
                     descending: bool, limit: int, cursor: str | None = None,
                     before: str | None = None) -> Any:
    """One keyset page of ``statement`` (the customers' list statement) sorted by the
    custom field ``sort`` names (``custom.<key>``), the customers without a value last;
    raises ``FieldError`` on ``sort`` when the user may not sort by it."""
    from flask import current_app

    item = custom_fields.sort_field(session, KIND, sort, user)
    if item is None:
        names = [name for name, _label in sort_choices(session, user)]
        raise FieldError("sort", _("Sort by one of: %(names)s.", names=", ".join(
            [*SORTS, *names])))
    kind = custom_fields.record_kinds(current_app)[KIND]
    return custom_fields.sorted_page(session, statement, kind, item, descending=descending,
                                     limit=limit, cursor=cursor, before=before)
