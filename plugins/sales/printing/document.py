"""What a printed quote or order shows, worked out from the records: the letterhead from the
sales settings, the customer (customers' public services), the lines with their amounts and
the total in Chinese capital numerals (大写)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import amount_in_words, record_event, to_user_time

from .. import money
from ..models import Order, OrderLine, Product, Quote
from ..quotes.customer import CUSTOMER_KIND, CustomerCard, customer_card, customer_model
from ..quotes.services import quote_lines, status_of
from ..settings.values import Letterhead, letterhead


@dataclass(frozen=True)
class PrintLine:
    """One row of the lines table, as text."""

    number: int
    product: str
    sku: str
    quantity: str
    unit: str
    unit_price: str
    discount: str
    tax_rate: str
    amount: str


@dataclass(frozen=True)
class PrintDocument:
    """Everything the print page shows."""

    kind: str  # "quote" or "order"
    number: str
    date: dt.date | None
    valid_until: dt.date | None
    status: str
    letterhead: Letterhead
    customer: CustomerCard
    lines: list[PrintLine]
    untaxed: str
    tax: str
    total: str
    total_in_words: str
    notes: str
    prices_include_tax: bool


def _rows(session: Session, lines: list[Any]) -> list[PrintLine]:
    ids = {line.product_id for line in lines if line.product_id is not None}
    products = {row.id: row for row in session.execute(
        select(Product.id, Product.sku, Product.unit).where(Product.id.in_(ids)))} \
        if ids else {}
    rows = []
    for index, line in enumerate(lines, start=1):
        product = products.get(line.product_id)
        rows.append(PrintLine(
            number=index, product=line.description, sku=product.sku if product else "",
            quantity=money.quantity_text(line.quantity), unit=product.unit if product else "",
            unit_price=money.yuan(line.unit_price), discount=money.percent_text(line.discount),
            tax_rate=money.percent_text(line.tax_rate), amount=money.yuan(line.total)))
    return rows


def _document(session: Session, kind: str, record: Any, lines: list[Any], user: Any, *,
              date: dt.date | None, valid_until: dt.date | None, status: str
              ) -> PrintDocument:
    customer = customer_card(session, record.customer_id, user)
    if customer.revealed:  # a rep's print shows what their pages mask: logged as a reveal
        record_event("reveal", _l("Printed %(number)s with the customer's phone and address",
                                  number=record.number),
                     model=customer_model(), record_id=record.customer_id,
                     changes={"kind": CUSTOMER_KIND, "fields": ["phones", "address"],
                              "document": record.number}, session=session)
    return PrintDocument(
        kind=kind, number=record.number, date=date, valid_until=valid_until, status=status,
        letterhead=letterhead(), customer=customer,
        lines=_rows(session, lines), untaxed=money.yuan(record.untaxed_amount),
        tax=money.yuan(record.tax_amount), total=money.yuan(record.total_amount),
        total_in_words=amount_in_words(int(record.total_amount or 0)),
        notes=record.notes or "",
        prices_include_tax=any(line.price_includes_tax for line in lines))


def quote_document(session: Session, quote: Quote, user: Any) -> PrintDocument:
    """The printed quote (dated the day it was made, valid until its validity date)."""
    made = to_user_time(quote.created_at).date() if quote.created_at else None
    return _document(session, "quote", quote, quote_lines(session, quote.id), user,
                     date=made, valid_until=quote.valid_until, status=status_of(quote))


def order_document(session: Session, order: Order, user: Any) -> PrintDocument:
    """The printed order (dated its order date, else the day it was made)."""
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                 .order_by(OrderLine.position, OrderLine.id)))
    made = order.order_date or (to_user_time(order.created_at).date() if order.created_at
                                else None)
    return _document(session, "order", order, lines, user, date=made, valid_until=None,
                     status=order.status)
