"""Sensitive fields: masks by permission, the reveal button and its log entry.

Plugins declare their sensitive fields through the hook ``crm_sensitive_fields``
(``SensitiveFields``); the kernel derives the permissions ``<kind>.view_sensitive`` and
``<kind>.reveal_sensitive`` with their default grants (``registry``). Pages, the API,
exports and search suggestions mask values with ``access`` (the generated Resources do it
themselves); forms keep masks from being saved with ``forms.protect_form``; ``views`` is the
reveal route. See "Sensitive fields" in docs/plugins.md.
"""

from __future__ import annotations

from .access import (
    CURRENT,
    declaration,
    field_masker,
    mask_record,
    mask_rows,
    mask_value,
    may_reveal,
    may_see,
    sensitive_fields,
    viewing_as,
)
from .forms import protect_form, restore_masked
from .masks import (
    KINDS,
    MARK,
    is_masked,
    mask,
    mask_address,
    mask_bank_account,
    mask_email,
    mask_id_card,
    mask_phone,
)
from .registry import SensitiveFields
from .schemas import mask_on_dump
from .writes import MaskedValue, keep_stored

__all__ = ["CURRENT", "KINDS", "MARK", "MaskedValue", "SensitiveFields", "declaration",
           "field_masker", "is_masked", "keep_stored", "mask", "mask_address",
           "mask_bank_account", "mask_email", "mask_id_card", "mask_on_dump", "mask_phone",
           "mask_record", "mask_rows", "mask_value", "may_reveal", "may_see", "protect_form",
           "restore_masked", "sensitive_fields", "viewing_as"]
