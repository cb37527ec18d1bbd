"""How sales pages show its numbers: money in fen as the user reads it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_core.toolkit import format_money


def yuan_of(fen: int) -> Decimal:
    """Fen as an exact amount in yuan (1999 → ``Decimal("19.99")``)."""
    return Decimal(int(fen)).scaleb(-2)


def money_text(fen: Any) -> str:
    """Fen as the pages show money (``¥12,000.50``); ``—`` for none."""
    if fen is None or isinstance(fen, bool):
        return "—"
    return format_money(yuan_of(int(fen)))
