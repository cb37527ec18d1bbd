"""Masks on the generated Resource pages, files and API: a resource's sensitive kind is
``<plugin>.<object>`` (the contacts resource of customers: ``customers.contact``).

``masked_cell`` replaces a column's text for a viewer who sees masks: the list and files
show the masks, a record's page adds the reveal button after each one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import get_template_attribute, has_request_context
from markupsafe import Markup

from .access import CURRENT, declaration, field_masker

__all__ = ["masked_cell", "resource_kind"]


def resource_kind(resource: Any) -> str:
    """The sensitive kind of ``resource``'s records."""
    return f"{resource.plugin}.{resource.object}"


def _values(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def masked_cell(resource: Any, name: str, *, reveal: bool = False, user: Any = CURRENT
                ) -> Callable[[Any], str] | None:
    """``f(record)``: the masked text of field ``name``, or None when the viewer sees it in
    clear (or it is not sensitive). ``reveal`` adds the reveal button after each mask (a
    record's page, in a request)."""
    kind = resource_kind(resource)
    masker = field_masker(kind, name, user)
    if masker is None:
        return None
    spec = declaration(kind)
    assert spec is not None  # field_masker found it

    def text(record: Any) -> str:
        values = _values(spec.read(record, name))
        if reveal and has_request_context() and spec.model is not None:
            shown = get_template_attribute("core/_sensitive.html", "sensitive")
            return Markup(" ").join(shown(kind, record.id, name, value, index)
                                    for index, value in enumerate(values))
        return ", ".join(str(masker(value)) for value in values)

    return text
