"""Exact money for quotes and orders: parsing, line totals, rounding half-up to the fen.

Money is integer fen, quantities integer thousandths of a unit, discounts and tax rates
integer basis points of a percent (7.5 % is 750, 13 % is 1300). A line's numbers:

- ``gross`` = quantity × unit price, less the discount, rounded half-up to the fen once;
- unit prices exclude tax: ``subtotal`` = gross, ``tax`` = subtotal × rate rounded half-up,
  ``total`` = subtotal + tax;
- unit prices include tax (the product says so): ``total`` = gross, ``subtotal`` = total ÷
  (1 + rate) rounded half-up, ``tax`` = total − subtotal.

A document's amounts are the sums of its lines', so line totals always add up to the order
total (tests/plugins/sales/test_money.py proves it for any lines).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

FEN_PER_YUAN = 100
MILLI = 1000  # thousandths of a unit per unit
BASIS = 10_000  # basis points per 100 %
MAX_FEN = 10**15  # ¥10 trillion: far beyond any order, far inside BIGINT
MAX_QUANTITY = 10**12  # a billion units, in thousandths


class MoneyError(ValueError):
    """A value that is not a valid amount, quantity or rate; ``str()`` says why."""


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"{what}: not a number")
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise MoneyError(f"{what}: not a number") from None
    if not number.is_finite():
        raise MoneyError(f"{what}: not a number")
    return number


def _scaled(value: object, scale: int, places: int, what: str, low: int, high: int) -> int:
    number = _decimal(value, what)
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise MoneyError(f"{what}: at most {places} decimal places")
    scaled = int(number * scale)
    if not low <= scaled <= high:
        raise MoneyError(f"{what}: out of range")
    return scaled


def to_fen(value: object, *, allow_negative: bool = False) -> int:
    """``"19.99"`` → 1999. Refuses more than two decimals, negatives (unless allowed) and
    amounts beyond ¥10 trillion."""
    return _scaled(value, FEN_PER_YUAN, 2, "amount", -MAX_FEN if allow_negative else 0,
                   MAX_FEN)


def to_milli(value: object) -> int:
    """A quantity: ``"2.5"`` → 2500; positive, at most three decimals."""
    quantity = _scaled(value, MILLI, 3, "quantity", 0, MAX_QUANTITY)
    if quantity == 0:
        raise MoneyError("quantity: must be more than zero")
    return quantity


def to_basis_points(value: object, what: str = "rate") -> int:
    """A percentage: ``"7.5"`` → 750; 0 to 100, at most two decimals."""
    return _scaled(value, 100, 2, what, 0, BASIS)


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up (away from zero at .5), exactly.

    Integer arithmetic: a ``Decimal`` division rounds to 28 significant digits first, which
    misrounds the largest lines (a quantity of 10^12 thousandths at ¥10^13).
    """
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


@dataclass(frozen=True)
class LineAmounts:
    """A line's worked-out amounts in fen."""

    subtotal: int
    tax: int
    total: int


def line_amounts(quantity: int, unit_price: int, discount: int = 0, tax_rate: int = 0,
                 price_includes_tax: bool = False) -> LineAmounts:
    """The amounts of one line (quantity in thousandths, price in fen, rates in basis
    points); see the module docstring for the rule."""
    # quantity/1000 × price × (1 − discount/10000), rounded once
    gross = _half_up(quantity * unit_price * (BASIS - discount), MILLI * BASIS)
    if price_includes_tax:
        subtotal = _half_up(gross * BASIS, BASIS + tax_rate)
        return LineAmounts(subtotal, gross - subtotal, gross)
    tax = _half_up(gross * tax_rate, BASIS)
    return LineAmounts(gross, tax, gross + tax)


@dataclass(frozen=True)
class DocumentAmounts:
    """A quote's or order's amounts in fen: the sums of its lines'."""

    untaxed: int
    tax: int
    total: int


def document_amounts(lines: Iterable[LineAmounts]) -> DocumentAmounts:
    """Sum the lines' amounts."""
    untaxed = tax = total = 0
    for line in lines:
        untaxed += line.subtotal
        tax += line.tax
        total += line.total
    return DocumentAmounts(untaxed, tax, total)


def yuan(fen: int) -> str:
    """1999 → ``"19.99"``: the API's decimal string."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def quantity_text(milli: int) -> str:
    """2500 → ``"2.5"``, 3000 → ``"3"``."""
    whole, part = divmod(int(milli), MILLI)
    return f"{whole}.{part:03d}".rstrip("0").rstrip(".") if part else str(whole)


def percent_text(basis_points: int) -> str:
    """750 → ``"7.5"``, 1300 → ``"13"``."""
    whole, part = divmod(int(basis_points), 100)
    return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)
