"""Lines of a quote or an order, read from a form or a JSON body and checked as a whole.

``parse_lines`` takes the lines as people send them (decimal strings: ``"quantity": "3"``,
``"unit_price": "19.99"``, ``"discount_percent": "7.5"``, ``"tax_rate": "13"``) and returns
``LineValues`` with every ``LineMixin`` column worked out by ``sales.money`` — or raises
``LinesRefused`` naming each bad value by its place (``lines[0].quantity``), so a form marks
the cell and the API answers problem+json. A line without a unit price takes the customer's
price (``catalog.pricing``); without a tax rate or description, the product's.

Generic over ``QuoteLine`` and ``OrderLine``: ``LineValues.columns()`` are the keyword
arguments of either model (plus the parent's id).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError

from ..catalog.pricing import Classification, unit_price_for
from ..models import Product
from ..money import (
    MAX_FEN,
    DocumentAmounts,
    LineAmounts,
    MoneyError,
    document_amounts,
    line_amounts,
    percent_text,
    quantity_text,
    to_basis_points,
    to_fen,
    to_milli,
    yuan,
)

MAX_LINES = 500
DESCRIPTION_MAX = 500
#: What a line may carry, as sent (the form's inputs are ``lines-<n>-<name>``).
INPUTS = ("product_id", "description", "quantity", "unit_price", "discount_percent",
          "tax_rate")
_FORM_KEY = re.compile(r"^lines-(\d{1,3})-([a-z_]{1,20})$")


class LinesRefused(DomainError):
    """Some lines were refused: ``errors`` maps ``lines[<n>].<field>`` (or ``lines``) to
    messages; ``field`` is the first of them, ``str()`` a summary."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {key: list(texts) for key, texts in errors.items()}
        self.field = next(iter(self.errors), "lines")
        first = self.errors.get(self.field, [""])[0]
        super().__init__(_("Check the lines: %(field)s: %(error)s", field=self.field,
                           error=first))


@dataclass(frozen=True)
class LineValues:
    """One checked line: every column of ``LineMixin`` but the id."""

    position: int
    product_id: int | None
    description: str
    quantity: int
    unit_price: int
    discount: int
    tax_rate: int
    price_includes_tax: bool
    subtotal: int
    tax: int
    total: int

    def columns(self) -> dict[str, Any]:
        """The keyword arguments of a ``QuoteLine`` / ``OrderLine``."""
        return {name: getattr(self, name) for name in _COLUMNS}  # asdict() deep-copies

    def amounts(self) -> LineAmounts:
        """The line's worked-out amounts."""
        return LineAmounts(self.subtotal, self.tax, self.total)


_COLUMNS = tuple(field.name for field in fields(LineValues))


def totals(lines: Iterable[Any]) -> DocumentAmounts:
    """The document's amounts of ``lines`` (``LineValues`` or line records)."""
    return document_amounts(LineAmounts(line.subtotal, line.tax, line.total)
                            for line in lines)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "\x00"  # refused as not a number below
    return str(value).strip()


def _product_ids(raw: Sequence[Any]) -> set[int]:
    ids = set()
    for item in raw:
        value = item.get("product_id") if isinstance(item, Mapping) else None
        text = _text(value)
        if text.isdigit() and len(text) <= 10:
            ids.add(int(text))
    return ids


def _read_one(item: Mapping[str, Any], product: Product | None, add: Any) -> dict[str, Any]:
    """The line's numbers (quantity, unit price or None, discount, tax rate or None)."""
    numbers: dict[str, Any] = {}
    try:
        numbers["quantity"] = to_milli(_text(item.get("quantity")) or "0")
    except MoneyError:
        add("quantity", _("Enter a quantity more than zero, with at most three decimals."))
    price = _text(item.get("unit_price"))
    try:
        numbers["unit_price"] = to_fen(price) if price else None
    except MoneyError:
        add("unit_price", _("Enter a unit price in yuan with at most two decimals, "
                            "zero or more."))
    discount = _text(item.get("discount_percent", item.get("discount")))
    try:
        numbers["discount"] = to_basis_points(discount, "discount") if discount else 0
    except MoneyError:
        add("discount_percent", _("Enter a discount from 0 to 100 %."))
    rate = _text(item.get("tax_rate"))
    try:
        numbers["tax_rate"] = to_basis_points(rate.removesuffix("%")) if rate else None
    except MoneyError:
        add("tax_rate", _("Enter a VAT rate from 0 to 100 %."))
    if product is None and numbers.get("unit_price", 0) is None:
        add("unit_price", _("Enter the unit price of a line without a product."))
    return numbers


def parse_lines(session: Session, raw: Any, *, customer_id: int | None = None,
                classification: Classification | None = None, user: Any = None,
                prefix: str = "lines") -> list[LineValues]:
    """Check ``raw`` (a list of line mappings) and work out each line; ``LinesRefused``
    names every bad value. Unknown, deleted or inactive products are refused; a line needs
    a product or a description."""
    if not isinstance(raw, list | tuple):
        raise LinesRefused({prefix: [_("Send the lines as a list.")]})
    if not raw:
        raise LinesRefused({prefix: [_("Add at least one line.")]})
    if len(raw) > MAX_LINES:
        raise LinesRefused({prefix: [_("At most %(count)d lines.", count=MAX_LINES)]})
    ids = _product_ids(raw)
    products = {product.id: product for product in session.scalars(
        select(Product).where(Product.id.in_(ids), Product.deleted_at.is_(None),
                              Product.active.is_(True)))} if ids else {}
    errors: dict[str, list[str]] = {}
    lines: list[LineValues] = []
    for index, item in enumerate(raw):
        place = f"{prefix}[{index}]"

        def add(field: str, message: str, place: str = place) -> None:
            errors.setdefault(f"{place}.{field}", []).append(message)

        if not isinstance(item, Mapping):
            errors.setdefault(place, []).append(_("Each line is an object."))
            continue
        before = sum(map(len, errors.values()))
        product = None
        product_text = _text(item.get("product_id"))
        if product_text:
            product = products.get(int(product_text)) if product_text.isdigit() \
                and len(product_text) <= 10 else None
            if product is None:
                add("product_id", _("Unknown product, or one no longer sold."))
        description = _text(item.get("description"))[:DESCRIPTION_MAX + 1]
        if len(description) > DESCRIPTION_MAX:
            add("description", _("At most %(count)d characters.", count=DESCRIPTION_MAX))
        elif not description and product is None and not product_text:
            add("product_id", _("Choose a product or describe the line."))
        numbers = _read_one(item, product, add)
        if sum(map(len, errors.values())) > before:
            continue
        unit_price = numbers["unit_price"]
        if unit_price is None and product is not None:
            unit_price = unit_price_for(session, product, customer_id, numbers["quantity"],
                                        user=user, classification=classification)
        rate = numbers["tax_rate"]
        if rate is None:
            rate = product.tax_rate if product is not None else 0
        includes = bool(product.price_includes_tax) if product is not None else False
        worked = line_amounts(numbers["quantity"], unit_price, numbers["discount"], rate,
                              includes)
        if worked.total > MAX_FEN:
            add("quantity", _("The line's total is too large."))
            continue
        lines.append(LineValues(
            position=index, product_id=product.id if product is not None else None,
            description=description or (product.name if product is not None else ""),
            quantity=numbers["quantity"], unit_price=unit_price,
            discount=numbers["discount"], tax_rate=rate, price_includes_tax=includes,
            subtotal=worked.subtotal, tax=worked.tax, total=worked.total))
    if not errors and totals(lines).total > MAX_FEN:
        errors[prefix] = [_("The total is too large.")]
    if errors:
        raise LinesRefused(errors)
    return lines


def lines_from_form(formdata: Mapping[str, Any]) -> list[dict[str, str]]:
    """The lines of a submitted form (inputs ``lines-<n>-<name>``), in ``n`` order, the
    rows left wholly empty dropped (a blank row added and not filled)."""
    rows: dict[int, dict[str, str]] = {}
    for key in formdata:
        match = _FORM_KEY.match(key)
        if match and match.group(2) in INPUTS:
            value = formdata.get(key)
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = \
                str(value or "")[:200] if match.group(2) != "description" \
                else str(value or "")[:DESCRIPTION_MAX + 1]
    return [row for _index, row in sorted(rows.items())
            if any(row.get(name, "").strip() for name in ("product_id", "description",
                                                          "quantity", "unit_price"))]


def line_texts(line: Any) -> dict[str, str]:
    """A stored line (or ``LineValues``) as the editor's and the API's texts."""
    return {"product_id": "" if line.product_id is None else str(line.product_id),
            "description": line.description or "",
            "quantity": quantity_text(line.quantity), "unit_price": yuan(line.unit_price),
            "discount_percent": percent_text(line.discount),
            "tax_rate": percent_text(line.tax_rate)}


def line_out(line: Any) -> dict[str, Any]:
    """A line as the API answers it: texts, then ``subtotal``, ``tax`` and ``total`` in
    yuan."""
    return {"id": getattr(line, "id", None), "position": line.position, **line_texts(line),
            "product_id": line.product_id, "price_includes_tax": bool(line.price_includes_tax),
            "subtotal": yuan(line.subtotal), "tax": yuan(line.tax), "total": yuan(line.total)}
