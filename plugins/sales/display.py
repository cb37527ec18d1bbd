"""How sales pages show its numbers: money in fen as the user reads it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import has_request_context
from flask_babel import get_locale

from crm_core.toolkit import format_money

#: What the kernel writes for 1,234,567.89 yuan when its locale groups by three digits.
_PROBE = re.compile(r"^¥1(?P<group>\D)234(?P=group)567(\D)89$")
_symbols: dict[str, tuple[str, str] | None] = {}


def yuan_of(fen: int) -> Decimal:
    """Fen as an exact amount in yuan (1999 → ``Decimal("19.99")``)."""
    return Decimal(int(fen)).scaleb(-2)


def _separators() -> tuple[str, str] | None:
    """The group and decimal separators the kernel's ``format_money`` uses in the current
    locale (read once per locale off a formatted probe); None: not plain groups of three."""
    key = str(get_locale() or "") if has_request_context() else ""
    if key not in _symbols:
        found = _PROBE.match(format_money(Decimal("1234567.89")))
        _symbols[key] = (found.group(1), found.group(2)) if found else None
    return _symbols[key]


def money_text(fen: Any) -> str:
    """Fen as the pages show money (``¥12,000.50``), exactly as the kernel's
    ``format_money`` writes it; ``—`` for none. Integer arithmetic instead of Babel's
    decimal formatting: a list shows fifty amounts a page."""
    if fen is None or isinstance(fen, bool):
        return "—"
    fen = int(fen)
    separators = _separators()
    if separators is None:
        return format_money(yuan_of(fen))
    group, point = separators
    whole, cents = divmod(abs(fen), 100)
    grouped = f"{whole:,}" if group == "," else f"{whole:,}".replace(",", group)
    return f"{'-' if fen < 0 else ''}¥{grouped}{point}{cents:02d}"
