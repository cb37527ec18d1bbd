"""How the encrypted fields of a customer are cleaned, and found by exact value.

``id_card_number``, ``bank_name`` and ``bank_account`` are stored encrypted; the first and
the last are found through their blind indexes (``toolkit.blind_lookup``), never by LIKE.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_

from crm_core.toolkit import blind_index_for, blind_lookup

from ..identity import normalise_bank_account, normalise_bank_name, normalise_id_card
from ..models import Customer

__all__ = ["ENCRYPTED_COLUMNS", "SENSITIVE_CLEANERS", "SENSITIVE_FIELDS", "cell_openers",
           "decrypted_cells", "exact_identifier_match", "index_for_driver",
           "looks_like_identifier"]

SENSITIVE_FIELDS = ("id_card_number", "bank_name", "bank_account")


def _optional(check: Callable[[str], str]) -> Callable[[Any], str | None]:
    def clean(value: Any) -> str | None:
        text = str(value or "").strip()
        return check(text) if text else None
    return clean


SENSITIVE_CLEANERS: dict[str, Callable[[Any], str | None]] = {
    "id_card_number": _optional(normalise_id_card),
    "bank_name": lambda value: normalise_bank_name(value) or None,
    "bank_account": _optional(normalise_bank_account),
}


def looks_like_identifier(text: str) -> bool:
    """Whether a search text could be an ID-card number or a bank account (8+ digits, maybe
    with a final X, spaces or dashes): only then is the blind-index lookup worth asking."""
    compact = "".join(char for char in text if char not in " -").upper()
    body = compact[:-1] if compact.endswith("X") else compact
    return 8 <= len(compact) <= 32 and body.isdigit()


def exact_identifier_match(text: str) -> ColumnElement[bool]:
    """Customers whose ID-card number or bank account is exactly ``text`` (blind indexes)."""
    return or_(blind_lookup(Customer.id_card_number, text),
               blind_lookup(Customer.bank_account, text))


#: The encrypted columns as a Core statement reads them raw (``enc1:...``), in
#: ``SENSITIVE_FIELDS`` order; ``decrypted_cells`` opens them.
ENCRYPTED_COLUMNS = tuple(Customer.__table__.c[name] for name in SENSITIVE_FIELDS)


def decrypted_cells(raw: Sequence[str | None],
                    masks: Mapping[str, Callable[[str], str]] | None = None,
                    openers: Sequence[Callable[[Any], Any]] | None = None) -> list[str]:
    """Raw values of ``ENCRYPTED_COLUMNS`` (read without result processing) as text cells,
    decrypted, then masked by ``masks[field]`` when the reader may not see them in clear.
    ``openers``: ``cell_openers()`` made once for the rows of a file (else made here)."""
    if openers is None:
        openers = cell_openers()
    masks = masks or {}
    cells = []
    for name, open_value, value in zip(SENSITIVE_FIELDS, openers, raw, strict=True):
        text = open_value(value) or ""
        shown = masks.get(name)
        cells.append(shown(text) if shown and text else text)
    return cells


def cell_openers() -> list[Callable[[Any], Any]]:
    """What opens each of ``ENCRYPTED_COLUMNS``' raw values, with the current app's key ring
    found once (``decrypted_cells``' ``openers``)."""
    return [column.type.opener() for column in ENCRYPTED_COLUMNS]


_INDEXED = {"id_card_number": Customer.id_card_number, "bank_account": Customer.bank_account}


def index_for_driver(values: dict[str, Any]) -> None:
    """Set the blind indexes of a row the bulk insert writes (``toolkit.insert_many``: the
    column types' bind processors encrypt the values, but no ORM event sets the indexes)."""
    for name, attribute in _INDEXED.items():
        plain = values.get(name)
        values[f"{name}_bidx"] = blind_index_for(attribute, plain) if plain else None
