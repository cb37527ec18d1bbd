"""How a record's value is shown on the generated pages: a choice's label, a relation's
name (from the page's batch of names), a time in UTC, a yes/no."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from .declaration import Resource


def cell(resource: Resource, record: Any, name: str,
         names: Mapping[str, Mapping[Any, str]] | None = None) -> str:
    """The text of field ``name`` of ``record`` (empty for no value)."""
    value = getattr(record, name, None)
    if value is None:
        return ""
    try:
        item = resource.field(name)
    except KeyError:
        item = None
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
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
