"""Amounts and rates as people type them, stored as the columns keep them.

Forms and the API take and show yuan as decimal strings (``"19.99"``) and rates in percent
(``"13"``); the columns hold fen (1999) and basis points (1300). One WTForms field and one
marshmallow field for each, so products, price lists and lines read them alike.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields
from wtforms import StringField

from ..money import MoneyError, percent_text, to_basis_points, to_fen, yuan

AMOUNT_ERROR = _l("Enter an amount in yuan with at most two decimals, such as 19.99.")
RATE_ERROR = _l("Enter a percentage from 0 to 100 with at most two decimals, such as 13.")
MAX_TEXT = 40


def fen_of(value: Any) -> int:
    """Yuan text (or a number) → fen; ``MoneyError`` with a readable message if refused."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise MoneyError(str(AMOUNT_ERROR))
    try:
        return to_fen(value)
    except MoneyError:
        raise MoneyError(str(AMOUNT_ERROR)) from None


def basis_points_of(value: Any) -> int:
    """Percent text (``"7.5"``) → basis points (750); ``MoneyError`` if refused."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise MoneyError(str(RATE_ERROR))
    try:
        return to_basis_points(value)
    except MoneyError:
        raise MoneyError(str(RATE_ERROR)) from None


class YuanFormField(StringField):
    """A form input of an amount in yuan, whose ``data`` is fen."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0] if valuelist else "").strip()
        if not text:
            return
        try:
            self.data = fen_of(text)
        except MoneyError as error:
            raise ValueError(str(error)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return yuan(self.data) if isinstance(self.data, int) else ""


class PercentFormField(StringField):
    """A form input of a percentage, whose ``data`` is basis points."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0] if valuelist else "").strip().removesuffix("%").strip()
        if not text:
            return
        try:
            self.data = basis_points_of(text)
        except MoneyError as error:
            raise ValueError(str(error)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return percent_text(self.data) if isinstance(self.data, int) else ""


class Yuan(fields.Field):
    """The API's amount: ``"19.99"`` in and out, fen inside."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else yuan(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationError(str(AMOUNT_ERROR))
        try:
            return fen_of(value)
        except MoneyError as error:
            raise ValidationError(str(error)) from None


class Percent(fields.Field):
    """The API's rate: ``"13"`` (percent) in and out, basis points inside."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else percent_text(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationError(str(RATE_ERROR))
        try:
            return basis_points_of(value)
        except MoneyError as error:
            raise ValidationError(str(error)) from None
