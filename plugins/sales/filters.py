"""What sales list filters read from what the user typed: amounts in yuan.

Amounts are stored in fen; users type yuan (``50000``, ``50,000.50``, ``¥50,000``). A
range filter declared with ``parse=yuan_filter`` turns the typed text into fen; anything
else is refused with a message beside the input, never a 500.
"""

from __future__ import annotations

from flask_babel import gettext as _

from .money import MoneyError, to_fen


def yuan_filter(text: str) -> int:
    """``"50,000.50"`` → ``5000050`` fen (a leading ¥ and spaces are ignored); raises
    ``ValueError`` with a message the user understands for letters, more than two decimals
    or an amount beyond ¥10 trillion."""
    cleaned = text.strip().lstrip("¥￥").strip()
    try:
        return to_fen(cleaned, allow_negative=True)
    except MoneyError as exc:
        if str(exc).endswith("out of range"):
            raise ValueError(_("At most ¥10 trillion.")) from None
        raise ValueError(_("Enter an amount in yuan, such as \"50,000.50\".")) from None
