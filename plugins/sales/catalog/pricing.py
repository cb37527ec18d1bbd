"""What a customer pays for a product: the price lists, else the list price.

A price list applies to customers of one type, one level, both, or everyone (neither set).
For a line the most specific active list wins (type and level > type > level > everyone;
then the list's ``position``, then its id), and within it the highest quantity break at or
below the line's quantity. A list without a price for the product, or whose lowest break
is above the quantity, gives way to the next one; without any, the product's list price.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from plugins.customers import services as customers

from ..models import PriceList, PriceListItem, Product

#: ``(customer type id or None, level or "")`` of a customer.
Classification = tuple[int | None, str]


def customer_classification(session: Session, customer_id: int | None, *,
                            user: Any = None) -> Classification:
    """The customer's type and level through customers' public services (``user``'s scope;
    None: the signed-in user); a customer one may not see counts as unclassified."""
    if customer_id is None:
        return (None, "")
    try:
        customer = customers.get_customer(session, customer_id, user=user)
    except customers.CustomerNotFound:
        return (None, "")
    return (customer.customer_type_id, customer.level or "")


def unit_price_for(session: Session, product: Product, customer_id: int | None,
                   quantity: int, *, user: Any = None,
                   classification: Classification | None = None,
                   today: dt.date | None = None) -> int:
    """The unit price in fen of ``quantity`` (thousandths of a unit) of ``product`` for the
    customer: the best price list's break, else the list price. ``classification`` skips
    the customer lookup when the caller has it (one lookup for a whole order)."""
    type_id, level = classification if classification is not None else \
        customer_classification(session, customer_id, user=user)
    today = today or dt.date.today()
    specific = (case((PriceList.customer_type_id.is_not(None), 2), else_=0)
                + case((PriceList.customer_level != "", 1), else_=0))
    found = session.scalar(
        select(PriceListItem.unit_price)
        .join(PriceList, PriceList.id == PriceListItem.price_list_id)
        .where(PriceListItem.product_id == product.id,
               PriceListItem.min_quantity <= quantity,
               PriceList.active.is_(True),
               or_(PriceList.valid_from.is_(None), PriceList.valid_from <= today),
               or_(PriceList.valid_to.is_(None), PriceList.valid_to >= today),
               or_(PriceList.customer_type_id.is_(None),
                   PriceList.customer_type_id == type_id),
               or_(PriceList.customer_level == "", PriceList.customer_level == level))
        .order_by(specific.desc(), PriceList.position, PriceList.id,
                  PriceListItem.min_quantity.desc())
        .limit(1))
    return int(found) if found is not None else product.list_price
