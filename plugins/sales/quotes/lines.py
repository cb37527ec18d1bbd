"""A quote's lines, read through the sales line package (``lines.parsing``): the quote's one
door to it, so the rules for a line are the same on quotes and orders.

A quote may have no lines yet (a draft made from the form gets them on its page); the
line package refuses any bad value with ``LinesRefused`` naming ``lines[<n>].<field>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from plugins.customers.services import CustomerNotFound, get_customer

from ..lines.parsing import DESCRIPTION_MAX, MAX_LINES, LineValues, line_texts, parse_lines

__all__ = ["DESCRIPTION_MAX", "LINES_MAX", "line_input", "line_values", "read_lines"]

LINES_MAX = MAX_LINES


def read_lines(session: Session, raw_lines: Any, customer_id: int, user: Any
               ) -> list[LineValues]:
    """The checked lines of ``raw_lines`` (a list of line mappings), priced for the
    customer where a line leaves its price out; an empty list stays empty."""
    if isinstance(raw_lines, list | tuple) and not raw_lines:
        return []
    classification = None
    try:
        customer = get_customer(session, customer_id, user=user, include_trash=True)
        classification = (customer.customer_type_id, customer.level or "")
    except CustomerNotFound:
        pass  # the relation check refused it already; price from the list price
    return parse_lines(session, raw_lines, customer_id=customer_id, user=user,
                       classification=classification)


def line_values(lines: Sequence[Any]) -> list[LineValues]:
    """Stored lines as ``LineValues``: an order made from a quote keeps them as they are."""
    return [LineValues(position=index, product_id=line.product_id,
                       description=line.description, quantity=line.quantity,
                       unit_price=line.unit_price, discount=line.discount,
                       tax_rate=line.tax_rate, price_includes_tax=line.price_includes_tax,
                       subtotal=line.subtotal, tax=line.tax, total=line.total)
            for index, line in enumerate(lines)]


def line_input(line: Any) -> dict[str, str]:
    """A stored line back as the texts a form or the API sends."""
    return line_texts(line)
