"""Products and price lists.

Prices are integer fen; tax rates and discounts are basis points of a percent (13 % is 1300,
7.5 % is 750) and quantities thousandths of a unit (2.5 kg is 2500), so every sum is exact
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt

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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin

#: China's VAT rates (一般纳税人 13/9/6 %, zero-rated exports); others may be typed in.
VAT_RATES = (1300, 900, 600, 0)


class Product(TimestampMixin, Model):
    """Something the company sells, with its list price and VAT rate."""

    __tablename__ = "sales_product"
    __table_args__ = (Index("ix_sales_product_name_id", "name", "id"),
                      Index("ix_sales_product_category_id", "category", "id"))
    __audit_label__ = _l("Product")
    __audit_labels__ = {"sku": _l("SKU"), "name": _l("Name"), "category": _l("Category"),
                        "unit": _l("Unit"), "list_price": _l("List price"),
                        "tax_rate": _l("VAT rate"), "price_includes_tax": _l("Price includes tax"),
                        "active": _l("Active"), "description": _l("Description")}

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), default="", server_default="")
    unit: Mapped[str] = mapped_column(String(20), default="", server_default="")
    list_price: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    tax_rate: Mapped[int] = mapped_column(Integer, default=1300, server_default="1300")
    price_includes_tax: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PriceList(TimestampMixin, Model):
    """Prices for the customers of one type or level (key accounts, distributors, A-level).

    ``customer_type_id`` and ``customer_level`` name the customers' classification (an id of
    customers' types, a level string); empty means any. The most specific active list wins.
    """

    __tablename__ = "sales_price_list"
    __audit_label__ = _l("Price list")
    __audit_labels__ = {"name": _l("Name"), "customer_type_id": _l("Customer type"),
                        "customer_level": _l("Customer level"), "active": _l("Active"),
                        "valid_from": _l("Valid from"), "valid_to": _l("Valid to"),
                        "position": _l("Position")}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    customer_type_id: Mapped[int | None] = mapped_column(Integer, index=True)
    customer_level: Mapped[str] = mapped_column(String(20), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PriceListItem(Model):
    """A product's unit price in a list from ``min_quantity`` (thousandths) upwards."""

    __tablename__ = "sales_price_list_item"
    __table_args__ = (UniqueConstraint("price_list_id", "product_id", "min_quantity"),)
    __audit_label__ = _l("Price")
    __audit_labels__ = {"price_list_id": _l("Price list"),
                        "product_id": _l("Product"), "min_quantity": _l("From quantity"),
                        "unit_price": _l("Unit price")}

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(
        ForeignKey("sales_price_list.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(
        ForeignKey("sales_product.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    unit_price: Mapped[int] = mapped_column(BigInteger)
