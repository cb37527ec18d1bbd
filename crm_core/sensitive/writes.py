"""Writes that come back with masks (an API client that read a record and sends it back):
a mask of a stored value keeps that value, and any other masked text is refused (422 naming
the field), so a mask is never saved over real data. The forms' counterpart is
``forms.protect_form``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext

from ..errors import DomainError
from .access import CURRENT, declaration, may_see
from .forms import restore_masked
from .masks import is_masked

__all__ = ["MaskedValue", "keep_stored"]


class MaskedValue(DomainError):
    """A masked value was sent to be saved."""

    def __init__(self, field: str) -> None:
        super().__init__(gettext("Type the whole value: a masked value cannot be saved."))
        self.field = field


def _masked(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(is_masked(item) for item in value)
    return is_masked(value)


def keep_stored(kind: str, values: Mapping[str, Any], record: Any = None,
                user: Any = CURRENT) -> dict[str, Any]:
    """``values`` (a write's fields) with each mask of ``record``'s stored value replaced by
    that value (for a ``user`` who sees masks); raises ``MaskedValue`` for any other masked
    value of a declared field. ``record`` None (a new record): nothing is restored."""
    spec = declaration(kind)
    result = dict(values)
    if spec is None:
        return result
    restore = record is not None and not may_see(kind, user)
    for name, value_kind in spec.fields.items():
        if name not in result:
            continue
        if restore:
            result[name] = restore_masked(result[name], spec.read(record, name), value_kind)
        if _masked(result[name]):
            raise MaskedValue(name)
    return result
