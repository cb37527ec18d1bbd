"""Quotes and orders, each with its lines.

A line keeps what it was sold at (product name, unit price, discount, tax rate) and its
worked-out ``subtotal`` (untaxed), ``tax`` and ``total``, all in fen; the document's amounts
are the sums of its lines' (``sales.money``). ``version`` is the optimistic lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from crm_core.toolkit import DataScope, Model, ScopeThrough, TimestampMixin, custom_column

from .opportunity import CUSTOMER_ID

QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected", "expired", "ordered")
QUOTE_STATUS_LABELS = {"draft": _l("Draft"), "sent": _l("Sent"), "accepted": _l("Accepted"),
                       "rejected": _l("Rejected"), "expired": _l("Expired"),
                       "ordered": _l("Ordered")}
ORDER_STATUSES = ("draft", "confirmed", "delivered", "completed", "cancelled")
ORDER_STATUS_LABELS = {"draft": _l("Draft"), "confirmed": _l("Confirmed"),
                       "delivered": _l("Delivered"), "completed": _l("Completed"),
                       "cancelled": _l("Cancelled")}
LINE_LABELS = {"product_id": _l("Product"), "description": _l("Description"),
               "quantity": _l("Quantity"), "unit_price": _l("Unit price"),
               "discount": _l("Discount"), "tax_rate": _l("VAT rate"),
               "subtotal": _l("Subtotal"), "tax": _l("Tax"), "total": _l("Total"),
               "position": _l("Position"), "price_includes_tax": _l("Price includes tax")}
DOCUMENT_LABELS = {"number": _l("Number"), "customer_id": _l("Customer"),
                   "opportunity_id": _l("Opportunity"), "status": _l("Status"),
                   "owner_id": _l("Owner"), "department_id": _l("Department"),
                   "untaxed_amount": _l("Untaxed amount"), "tax_amount": _l("Tax"),
                   "total_amount": _l("Total"), "notes": _l("Notes"), "version": _l("Version")}


class DocumentMixin(TimestampMixin):
    """What a quote and an order share: customer, owner, amounts, lock."""

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(CUSTOMER_ID, ondelete="CASCADE"),
                                             index=True)
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_opportunity.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    untaxed_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}


class LineMixin:
    """A line of a quote or an order (money in fen, quantity in thousandths, rates in
    basis points of a percent)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_product.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tax_rate: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    price_includes_tax: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default="0")
    subtotal: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)


class Quote(DocumentMixin, Model):
    """An offer to a customer, valid until a date; confirmed, it becomes an order."""

    __tablename__ = "sales_quote"
    __data_scope__ = DataScope(kind="sales.quote")
    __table_args__ = (Index("ix_sales_quote_owner_id", "owner_id", "id"),)
    __audit_label__ = _l("Quote")
    __audit_labels__ = {**DOCUMENT_LABELS, "valid_until": _l("Valid until"),
                        "order_id": _l("Order")}
    __audit_choices__ = {"status": QUOTE_STATUS_LABELS}

    status: Mapped[str] = mapped_column(String(12), default="draft", server_default="draft")
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    order_id: Mapped[int | None] = mapped_column(Integer)


class QuoteLine(LineMixin, Model):
    """A line of a quote."""

    __tablename__ = "sales_quote_line"
    __data_scope__ = ScopeThrough("quote_id", Quote, parent_deleted="deleted_at")
    __audit_label__ = _l("Quote line")
    __audit_labels__ = {**LINE_LABELS, "quote_id": _l("Quote")}

    quote_id: Mapped[int] = mapped_column(ForeignKey("sales_quote.id", ondelete="CASCADE"),
                                          index=True)


class Order(DocumentMixin, Model):
    """A sales order (SalesOrder): draft → confirmed → delivered → completed, or cancelled."""

    __tablename__ = "sales_order"
    __data_scope__ = DataScope(kind="sales.order")
    __table_args__ = (Index("ix_sales_order_owner_id", "owner_id", "id"),
                      Index("ix_sales_order_status_date", "status", "order_date"),
                      # analytics reads the days after its last rollup by this time
                      Index("ix_sales_order_confirmed_at", "confirmed_at"))
    __audit_label__ = _l("Order")
    __audit_labels__ = {**DOCUMENT_LABELS, "quote_id": _l("Quote"),
                        "order_date": _l("Order date"), "confirmed_at": _l("Confirmed"),
                        "cancelled_at": _l("Cancelled"), "campaign_id": _l("Campaign")}
    __audit_choices__ = {"status": ORDER_STATUS_LABELS}

    status: Mapped[str] = mapped_column(String(12), default="draft", server_default="draft")
    quote_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_quote.id", ondelete="SET NULL"))
    order_date: Mapped[dt.date | None] = mapped_column(Date)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the marketing campaign the order's opportunity carried when the order was made (no
    # foreign key: marketing is optional); marketing counts it as the campaign's revenue
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # custom fields an administrator defines (kernel custom_fields; sales migration)
    custom: Mapped[dict[str, Any] | None] = custom_column("sales.order", label=_l("Orders"),
                                                          api_path="/api/v1/sales/orders")


class OrderLine(LineMixin, Model):
    """A line of an order."""

    __tablename__ = "sales_order_line"
    __data_scope__ = ScopeThrough("order_id", Order, parent_deleted="deleted_at")
    __audit_label__ = _l("Order line")
    __audit_labels__ = {**LINE_LABELS, "order_id": _l("Order")}

    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"),
                                          index=True)
