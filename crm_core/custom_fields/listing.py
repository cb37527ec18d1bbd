"""Custom fields on a generated Resource list (template globals of
``core/resources/list.html``): a filter input per filterable field the user may see (a
choice or yes/no select, a from/to range, a from/to date range, a text) and a column per
filterable field. The filters themselves are ``?custom.<key>=`` arguments the list's
``query.parse_filters`` reads (``records.resource_filters``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from ..db import get_session
from .storage import kind_of_model
from .values import PREFIX, locale, shown_values, visible_fields

NUMBERS, DATES = ("integer", "decimal", "money"), ("date", "datetime")


def _filterable(resource: Any) -> list[Any]:
    kind = kind_of_model(resource.model)
    if kind is None:
        return []
    user = current_user if current_user and current_user.is_authenticated else None
    return [item for item in visible_fields(get_session(), kind.key, user)
            if item.filterable and item.type != "long_text"]


def custom_filter_inputs_of(resource: Any, args: Mapping[str, Any],
                            errors: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``[{kind, options, inputs: [(name, label, value, errors)]}]`` of the list's custom
    filters."""
    shown = []
    for item in _filterable(resource):
        base, label = f"{PREFIX}{item.key}", item.label(locale())
        if item.type in NUMBERS + DATES:
            ends = ("min", "max") if item.type in NUMBERS else ("from", "to")
            names = [(f"{base}_{ends[0]}", f"{label} {_('from')}"),
                     (f"{base}_{ends[1]}", f"{label} {_('to')}")]
            kind = "number" if item.type in NUMBERS else "date"
        else:
            names = [(base, label)]
            kind = "select" if item.type in ("choice", "multi_choice", "boolean") else "text"
        options = [("true", _("Yes")), ("false", _("No"))] if item.type == "boolean" else \
            [(value, value) for value in item.option_values()]
        shown.append({"kind": kind, "options": options, "inputs": [
            (name, text, str(args.get(name) or ""), list(errors.get(name) or ()))
            for name, text in names]})
    return shown


def custom_columns_of(resource: Any) -> list[tuple[str, str]]:
    """``[(key, label)]`` of the list's custom columns (the filterable fields)."""
    return [(item.key, item.label(locale())) for item in _filterable(resource)]


def custom_cells_of(resource: Any, rows: list[Any]) -> dict[Any, dict[str, str]]:
    """``{record id: {key: text}}`` of the page's custom columns (users' names in one
    statement)."""
    fields = _filterable(resource)
    return shown_values(get_session(), fields, rows) if fields and rows else {}
