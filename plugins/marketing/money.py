"""Money as marketers type and read it: yuan in forms and the API (``"50000.00"``), fen in
the columns (as the sales plugin keeps amounts)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields
from wtforms import StringField

from crm_core.toolkit import INT64_MAX, format_money

FEN_PER_YUAN = 100
MAX_TEXT = 40
AMOUNT_ERROR = _l("Enter an amount in yuan with at most two decimals, such as 19.99.")


def to_fen(value: Any) -> int:
    """Yuan (text such as ``"1,250.5"`` or a number) → fen; ``ValueError`` when refused
    (negative, more than two decimals, not a number, too large)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(str(AMOUNT_ERROR))
    text = str(value).strip().replace(",", "").replace("¥", "")
    if not text or len(text) > MAX_TEXT:
        raise ValueError(str(AMOUNT_ERROR))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(str(AMOUNT_ERROR)) from None
    if not number.is_finite() or number < 0 or number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(str(AMOUNT_ERROR))
    fen = int(number * FEN_PER_YUAN)
    if fen > INT64_MAX // 2:
        raise ValueError(str(AMOUNT_ERROR))
    return fen


def yuan(fen: int | None) -> Decimal:
    """Fen → yuan as a Decimal with two places."""
    return (Decimal(int(fen or 0)) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def money_text(fen: Any) -> str:
    """Fen as pages show money (``¥50,000.00``); ``—`` for none."""
    if fen is None or isinstance(fen, bool):
        return "—"
    return format_money(yuan(fen))


class YuanFormField(StringField):
    """A form input of an amount in yuan, whose ``data`` is fen."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0] if valuelist else "").strip()
        if text:
            self.data = to_fen(text)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return str(yuan(self.data)) if isinstance(self.data, int) else ""


class Yuan(fields.Field):
    """The API's amount: yuan as a decimal string in and out, fen in the record."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else str(yuan(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return to_fen(value)
        except ValueError as error:
            raise ValidationError(str(error)) from None
