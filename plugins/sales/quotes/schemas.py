"""The quotes API's schemas: a quote with its lines inline, amounts as yuan strings.

In: ``{"customer_id", "opportunity_id"?, "valid_until"?, "notes"?, "lines": [{"product_id",
"description"?, "quantity": "3", "unit_price": "19.99"?, "discount_percent": "7.5"?,
"tax_rate": "13"?}]}``; a line's price and rate default to the product's. Out: the quote,
its ``status`` as users see it (``expired`` past its validity), ``total_in_words`` (大写)
and ``lines``, each with ``subtotal``, ``tax`` and ``total``.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from crm_core.toolkit import Id, UtcDateTime, amount_in_words, get_session

from .. import money
from . import services
from .lines import DESCRIPTION_MAX, LINES_MAX

NUMBER_TEXT_MAX = 40


class NumberText(fields.Field):
    """A decimal as a string or a JSON number, kept as text (the services read it exactly)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError("Not a number.")
        text = str(value).strip()
        if not text or len(text) > NUMBER_TEXT_MAX:
            raise ValidationError("Not a number.")
        return text


class Yuan(fields.Field):
    """Fen out as a yuan decimal string (``"62.68"``)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else money.yuan(value)


class LineIn(Schema):
    """One line of a quote as the API takes it."""

    class Meta:
        unknown = EXCLUDE

    product_id = Id(allow_none=True, load_default=None)
    description = fields.String(load_default="", validate=validate.Length(max=DESCRIPTION_MAX))
    quantity = NumberText(required=True)
    unit_price = NumberText(load_default=None, allow_none=True)
    discount_percent = NumberText(load_default=None, allow_none=True)
    tax_rate = NumberText(load_default=None, allow_none=True)


class QuoteIn(Schema):
    """A new quote (PATCH takes the same, partly; ``lines`` given replace them all)."""

    class Meta:
        unknown = EXCLUDE

    customer_id = Id(required=True)
    opportunity_id = Id(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    notes = fields.String(validate=validate.Length(max=10_000))
    lines = fields.List(fields.Nested(LineIn), validate=validate.Length(max=LINES_MAX))


class LineOut(Schema):
    """One line of a quote as the API answers it."""

    id = fields.Integer()
    position = fields.Integer()
    product_id = fields.Integer(allow_none=True)
    description = fields.String()
    quantity = fields.Function(lambda line: money.quantity_text(line.quantity))
    unit_price = Yuan()
    discount_percent = fields.Function(lambda line: money.percent_text(line.discount))
    tax_rate = fields.Function(lambda line: money.percent_text(line.tax_rate))
    price_includes_tax = fields.Boolean()
    subtotal = Yuan()
    tax = Yuan()
    total = Yuan()


class QuoteOut(Schema):
    """A quote with its lines."""

    id = fields.Integer()
    number = fields.String()
    customer_id = fields.Integer()
    opportunity_id = fields.Integer(allow_none=True)
    status = fields.Function(lambda quote: services.status_of(quote))
    valid_until = fields.Date(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    untaxed_amount = Yuan()
    tax_amount = Yuan()
    total_amount = Yuan()
    total_in_words = fields.Function(lambda quote: amount_in_words(quote.total_amount or 0))
    notes = fields.String()
    order_id = fields.Integer(allow_none=True)
    version = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    lines = fields.Function(lambda quote: LineOut(many=True).dump(
        services.quote_lines(get_session(), quote.id)))


class StatusIn(Schema):
    """A hand move of a quote: ``{"status": "sent" | "accepted" | "rejected" | "draft"}``."""

    status = fields.String(required=True,
                           validate=validate.OneOf(["draft", "sent", "accepted", "rejected"]))
