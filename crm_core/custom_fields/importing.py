"""Custom fields in imports: an import spec whose model takes custom fields gains an
``ImportField`` per active field, named ``custom.<key>``, that a column maps to when its
header is the field's label in Chinese or English (or its key). The spec's cleaner stores
the value under ``custom`` and says so with ``takes_custom_fields = True`` (the customers'
does; the kernel's generic cleaner of a Resource's import does not yet)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import has_request_context

from ..db import get_session
from .storage import kind_of_model
from .values import PREFIX, active_fields, locale


def custom_import_fields(kind: str) -> list[Any]:
    """The ``ImportField`` of each active field of ``kind``."""
    from ..imports.spec import ImportField

    found = []
    for item in active_fields(get_session(), kind):
        labels = [text for text in (item.labels or {}).values() if text]
        found.append(ImportField(
            f"{PREFIX}{item.key}", item.label(locale()) if has_request_context()
            else item.label("zh_CN"), aliases=(*labels, item.key, f"{PREFIX}{item.key}"),
            max_length=10_000))
    return found


def with_custom_fields(spec: Any) -> Any:
    """``spec`` with its model's custom fields added (the spec itself when none)."""
    kind = kind_of_model(spec.model)
    if kind is None or not getattr(spec.cleaner, "takes_custom_fields", False):
        return spec  # only a cleaner that stores ``custom.<key>`` cells gets the columns
    extra = custom_import_fields(kind.key)
    if not extra:
        return spec
    names = {item.name for item in spec.fields}
    return dataclasses.replace(spec, fields=[*spec.fields, *(item for item in extra
                                                             if item.name not in names)])
