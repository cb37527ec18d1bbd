"""An amount in Chinese capital numerals (大写金额), as printed on contracts and invoices.

The words come from the ``cn2an`` library (its "rmb" mode); it is imported on first use,
because loading it costs a fifth of a second that most requests never need.
"""

from __future__ import annotations

#: cn2an reads at most 16 digits before the decimal point: 9 999 999 999 999 999.99 yuan.
MAX_FEN = 10**18 - 1


def amount_in_words(fen: int) -> str:
    """``fen`` (an integer amount in fen, 1/100 yuan) in capital numerals.

    ``amount_in_words(1234567) == "壹万贰仟叁佰肆拾伍元陆角柒分"``,
    ``amount_in_words(10000000) == "壹拾万元整"``, ``amount_in_words(0) == "零元整"``; a
    negative amount starts with "负". Raises ``TypeError`` for anything but an integer (a
    float amount is a bug: money is counted in fen) and ``ValueError`` past
    ``±MAX_FEN``.
    """
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"amount_in_words takes an integer number of fen, not {fen!r}")
    if abs(fen) > MAX_FEN:
        raise ValueError(f"amount_in_words: {fen} fen is beyond 16 digits of yuan")
    import cn2an  # noqa: PLC0415  (slow to import; see the module docstring)

    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return cn2an.an2cn(f"{sign}{yuan}.{cents:02d}", "rmb")
