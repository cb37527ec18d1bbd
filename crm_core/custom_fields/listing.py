"""Custom fields on a generated Resource list (template globals of
``core/resources/list.html``): a filter input per filterable field the user may see (a
choice or yes/no select, a from/to range, a from/to date range, a text) and its columns.
The filters themselves are ``?custom.<key>=`` arguments the list's ``query.parse_filters``
reads (``records.resource_filters``).

Columns: every field the user may see but long text is in the column chooser as
``col=custom.<key>`` (kept in ``cols`` like a built-in column); with no columns chosen the
list shows the filterable fields. A sortable field's header sorts by it (``sorting``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from ..db import get_session
from .storage import kind_of_model
from .values import PREFIX, locale, shown_values, visible_fields

NUMBERS, DATES = ("integer", "decimal", "money"), ("date", "datetime")


def _visible(resource: Any) -> list[Any]:
    """The fields the user may see that a list cell can show (not long text)."""
    kind = kind_of_model(resource.model)
    if kind is None:
        return []
    user = current_user if current_user and current_user.is_authenticated else None
    return [item for item in visible_fields(get_session(), kind.key, user)
            if item.type != "long_text"]


def _filterable(resource: Any) -> list[Any]:
    return [item for item in _visible(resource) if item.filterable]


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


def custom_columns_of(resource: Any, fields: list[Any] | None = None
                      ) -> list[tuple[str, str]]:
    """``[(key, label)]`` of the list's custom columns: ``fields`` (``chosen_fields``),
    by default the filterable fields."""
    chosen = _filterable(resource) if fields is None else fields
    return [(item.key, item.label(locale())) for item in chosen]


def custom_column_choices_of(resource: Any) -> list[tuple[str, str]]:
    """``[("custom.<key>", label)]`` the column chooser offers: every field the user may
    see but long text."""
    return [(f"{PREFIX}{item.key}", item.label(locale())) for item in _visible(resource)]


def chosen_fields(resource: Any, args: Mapping[str, Any]) -> list[Any]:
    """The custom columns ``?col=custom.<key>`` (or ``?cols=a,custom.<key>``) chooses among
    the fields the user may see; with no column chosen at all, the filterable fields."""
    ticked = args.getlist("col") if hasattr(args, "getlist") else []
    raw = {name.strip() for name in ticked or str(args.get("cols") or "").split(",")} - {""}
    if not raw:
        return _filterable(resource)
    return [item for item in _visible(resource) if f"{PREFIX}{item.key}" in raw]


def custom_sorts_of(resource: Any) -> set[str]:
    """The keys of the custom columns the list may sort by (filterable and indexed)."""
    from .sorting import sortable

    return {item.key for item in _filterable(resource) if sortable(item)}


def custom_cells_of(resource: Any, rows: list[Any], fields: list[Any] | None = None
                    ) -> dict[Any, dict[str, str]]:
    """``{record id: {key: text}}`` of the page's custom columns (``fields``, by default
    the filterable ones; users' names in one statement)."""
    chosen = _filterable(resource) if fields is None else fields
    return shown_values(get_session(), chosen, rows) if chosen and rows else {}
