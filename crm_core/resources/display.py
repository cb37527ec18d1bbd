"""How a record's value is shown on the generated pages: a choice's label, a relation's
name (from the page's batch of names), a computed column's value (from the same batch), a
declared ``format``, a colour's swatch, a time in the reader's zone (UTC in files), a
yes/no."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from ..sensitive.resources import masked_cell
from ..ui.formatting import format_datetime
from .declaration import Resource


def cell(resource: Resource, record: Any, name: str,
         names: Mapping[str, Mapping[Any, str]] | None = None, *, html: bool = True) -> str:
    """The text of field ``name`` of ``record`` (empty for no value); ``html=False`` for a
    file (a colour without its swatch). A sensitive field shows its mask to a viewer
    without ``view_sensitive`` (with the reveal button on a page)."""
    hidden = masked_cell(resource, name, reveal=html)
    if hidden is not None:
        return hidden(record)
    return _cell(resource.computed_column(name), _declared(resource, name), record, name, names,
                 html)


def column_cell(resource: Resource, name: str, *, html: bool = True
                ) -> Callable[[Any, Mapping[str, Mapping[Any, str]] | None], str]:
    """``cell`` of column ``name`` as ``f(record, names)``, its declaration looked up once
    (for the rows of a page). A sensitive field shows its mask (without a reveal button)."""
    hidden = masked_cell(resource, name)
    if hidden is not None:
        return lambda record, names=None: hidden(record)
    computed, item = resource.computed_column(name), _declared(resource, name)
    return lambda record, names=None: _cell(computed, item, record, name, names, html)


def _declared(resource: Resource, name: str) -> Any:
    try:
        return resource.field(name)
    except KeyError:
        return None


def _cell(computed: Any, item: Any, record: Any, name: str,
          names: Mapping[str, Mapping[Any, str]] | None, html: bool) -> str:
    if computed is not None:
        found = (names or {}).get(name, {}).get(record.id)
        if found is None:
            return ""
        return computed.format(found) if computed.format else str(found)
    value = getattr(record, name, None)
    if value is None:
        return ""
    if item is not None and item.format is not None:
        return item.format(value)
    if item is not None and item.colour and html:
        return swatch(str(value))
    if item is not None and item.choices is not None:
        for choice, label in item.choices:
            if choice == value:
                return str(label)
    if item is not None and item.relation is not None:
        found = (names or {}).get(name, {}).get(value)
        return found if found is not None else f"#{value}"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        if html:  # a page shows the reader's zone; a file keeps UTC
            return format_datetime(value)
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):  # a JSON list of texts
        return ", ".join(str(part) for part in value)
    return str(value)


def swatch(colour: str) -> Markup:
    """A small square painted ``colour`` (an SVG fill, so no inline style) and its code."""
    return Markup('<span class="text-nowrap" data-colour="{0}"><svg width="14" height="14" '
                  'class="align-text-bottom me-1" aria-hidden="true" focusable="false">'
                  '<rect width="14" height="14" rx="3" fill="{0}" stroke="#0003"/></svg>'
                  '{0}</span>').format(colour)
