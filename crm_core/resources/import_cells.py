"""Cleaning one spreadsheet cell for a column, by its type (the derived import of a
Resource, ``importing``): whole numbers within the column's range, decimals within its
precision, dates and date-times (UTC) in the spellings spreadsheets use, yes/no, choices by
value or label (English or Chinese), text up to the column's length. A bad cell raises
``CellError`` with a message for the user.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
)

from ..edge.ints import INT32_MAX, INT64_MAX, INT64_MIN
from ..imports.spec import CellError

__all__ = ["by_type", "choices_cleaner", "whole"]

TEXT_MAX = 32_767  # the most a spreadsheet cell holds
_INT_RANGES = ((SmallInteger, -32_768, 32_767), (BigInteger, INT64_MIN, INT64_MAX),
               (Integer, -INT32_MAX - 1, INT32_MAX))
_YES = {"1", "y", "yes", "true", "t", "是", "对", "√", "✓", "✔"}
_NO = {"0", "n", "no", "false", "f", "否", "错", "×", "✗", "✘"}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _number(text: str) -> Decimal:
    try:
        number = Decimal(_fold(text).replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise CellError(_("Not a number.")) from None
    if not number.is_finite():
        raise CellError(_("Not a number."))
    return number


def whole(low: int, high: int) -> Callable[[str], int]:
    """A cleaner of whole numbers from ``low`` to ``high`` ("1,200" and "12.0" are fine)."""

    def clean(text: str) -> int:
        number = _number(text)
        if number != number.to_integral_value():
            raise CellError(_("Not a whole number."))
        if not low <= number <= high:
            raise CellError(_("Out of range: from %(min)s to %(max)s.", min=low, max=high))
        return int(number)

    return clean


def _decimal(precision: int | None, scale: int | None) -> Callable[[str], Decimal]:
    whole_digits = (precision or 28) - (scale or 0)

    def clean(text: str) -> Decimal:
        number = _number(text)
        if abs(number) < Decimal(10) ** whole_digits and scale is not None:
            number = number.quantize(Decimal(1).scaleb(-scale))  # rounding may add a digit
        if abs(number) >= Decimal(10) ** whole_digits:
            raise CellError(_("At most %(digits)d digits before the decimal point.",
                              digits=whole_digits))
        return number

    return clean


def _float(text: str) -> float:
    number = float(_number(text))
    if number in (float("inf"), float("-inf")):
        raise CellError(_("Not a number."))
    return number


def _moment(text: str, with_time: bool) -> dt.datetime | dt.date:
    match = _DATE.fullmatch(_fold(text))
    try:
        if match is None:
            raise ValueError(text)
        year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
        if not with_time:
            return dt.date(year, month, day)
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError:
        message = _("Not a date and time (YYYY-MM-DD HH:MM).") if with_time \
            else _("Not a date (YYYY-MM-DD).")
        raise CellError(message) from None


def _date(text: str) -> dt.date:
    return _moment(text, with_time=False)  # type: ignore[return-value]


def _datetime_cleaner(timezone: bool) -> Callable[[str], dt.datetime]:
    def clean(text: str) -> dt.datetime:
        moment = _moment(text, with_time=True)
        return moment if timezone else moment.replace(tzinfo=None)  # type: ignore[return-value]

    return clean


def _yes_no(text: str) -> bool:
    folded = _fold(text)
    if folded in _YES or folded == _fold(_("Yes")):
        return True
    if folded in _NO or folded == _fold(_("No")):
        return False
    raise CellError(_("Not yes or no."))


def _texts(label: Any) -> set[str]:
    """``label`` folded, as it is and in English and Chinese (a lazy string translates)."""
    found = {_fold(str(label))}
    for locale in ("en", "zh_CN"):
        with force_locale(locale):
            found.add(_fold(str(label)))
    return found


def choices_cleaner(choices: Any) -> Callable[[str], Any]:
    """A cleaner giving the value of a ``(value, label)`` pair named by value or label."""
    lookups: dict[str, dict[str, Any]] = {}  # per locale: labels are read once, not per cell

    def clean(text: str) -> Any:
        locale = str(get_locale())
        lookup = lookups.get(locale)
        if lookup is None:
            lookup = {}
            for value, label in reversed(list(choices)):  # the first choice wins a tie
                lookup.update(dict.fromkeys(_texts(label), value))
                lookup[_fold(str(value))] = value
            lookups[locale] = lookup
        if (found := lookup.get(_fold(text), lookup)) is not lookup:
            return found
        raise CellError(_("Not one of: %(choices)s.",
                          choices=", ".join(str(label) for _value, label in choices)))

    return clean


def by_type(column: Any) -> tuple[Callable[[str], Any] | None, int] | None:
    """The cleaner and length cap of a column's type; None: not importable from a cell."""
    kind = column.type
    if isinstance(kind, Boolean):
        return _yes_no, 20
    for integer, low, high in _INT_RANGES:
        if isinstance(kind, integer):
            return whole(low, high), 40
    if isinstance(kind, Float):
        return _float, 60
    if isinstance(kind, Numeric):
        return _decimal(kind.precision, kind.scale), 60
    if isinstance(kind, DateTime):
        return _datetime_cleaner(bool(kind.timezone)), 40
    if isinstance(kind, Date):
        return _date, 40
    if isinstance(kind, Enum):
        return choices_cleaner([(value, value) for value in kind.enums]), 200
    if isinstance(kind, JSON) or not isinstance(kind, String):
        return None
    return None, min(kind.length or TEXT_MAX, TEXT_MAX)
