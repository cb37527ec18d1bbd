"""Masks in API answers: a marshmallow hook that masks a dumped record's sensitive keys for
the caller (the generated Resource schemas carry it; a plugin's own ``Out`` schema adds it
with one line)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import post_dump

from .access import mask_record

__all__ = ["mask_on_dump"]


def mask_on_dump(kind: str) -> Callable[..., Any]:
    """A ``post_dump`` hook masking the declared fields of ``kind`` for users without
    ``<kind>.view_sensitive``: ``mask_sensitive = toolkit.sensitive.mask_on_dump(
    "customers.contact")`` in a schema's body."""

    @post_dump
    def mask_sensitive(self: Any, data: dict[str, Any], **_kwargs: Any) -> Any:
        return mask_record(kind, data)

    return mask_sensitive
