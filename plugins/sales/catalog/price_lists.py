"""Price lists, declared as a kernel Resource (``/sales/price_lists``), and their prices.

A list names the customers it is for (a customer type, a level, both or neither); its
prices (a product, a quantity from which it applies, a unit price) are edited on the list's
own page (the "Prices" panel, ``catalog.views``). ``catalog.pricing`` picks the price.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm_core.toolkit import DomainError, Field, Panel, Resource, get_session
from plugins.customers import services as customers

from ..models import PriceList, PriceListItem, Product
from ..money import MoneyError, quantity_text, to_milli, yuan
from .fields import YuanFormField

NAME_MAX, LEVEL_MAX = 100, 20


class PriceRefused(DomainError):
    """A price list or price value was refused; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def customer_types(session: Session) -> list[tuple[int, str]]:
    """``(id, name)`` of the customer types (customers' public ``list_customer_types``)."""
    return customers.list_customer_types(session)


def _type_name(type_id: int | None) -> str:
    if type_id is None:
        return ""
    # read once per request: the list formats this column on every row
    names = g.get("sales_customer_type_names")
    if names is None:
        names = g.sales_customer_type_names = dict(customer_types(get_session()))
    return names.get(type_id) or f"#{type_id}"


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class PriceListForm(FlaskForm):
    """Add or change a price list; the type select lists customers' types."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX})
    customer_type_id = SelectField(_l("Customer type"), coerce=_optional_int,
                                   validate_choice=False, validators=[Optional()])
    customer_level = StringField(_l("Customer level"),
                                 validators=[Optional(), Length(max=LEVEL_MAX)],
                                 render_kw={"maxlength": LEVEL_MAX, "placeholder": "A"})
    active = BooleanField(_l("Active"), default=True)
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid to"), validators=[Optional()])
    position = IntegerField(_l("Position"), default=0,
                            validators=[Optional(), NumberRange(0, 10_000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer_type_id.choices = [
            SelectChoice(value, label) for value, label in
            [("", _("Any type")), *customer_types(get_session())]]


def _clean(session: Session, values: dict[str, Any], record_id: int | None) -> dict[str, Any]:
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise PriceRefused("name", _("Enter the price list's name."))
        taken = session.scalar(select(PriceList.id).where(PriceList.name == cleaned["name"]))
        if taken is not None and taken != record_id:
            raise PriceRefused("name", _("Another price list is called %(name)s.",
                                         name=cleaned["name"]))
    if "customer_level" in cleaned:
        cleaned["customer_level"] = (cleaned["customer_level"] or "").strip()
    if cleaned.get("position") is None:
        cleaned.pop("position", None)
    type_id = cleaned.get("customer_type_id")
    if type_id is not None and type_id not in dict(customer_types(session)):
        raise PriceRefused("customer_type_id", _("Not a valid choice."))
    start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
    if start and end and end < start:
        raise PriceRefused("valid_to", _("The end date comes before the start date."))
    return cleaned


def create_price_list(session: Session, values: dict[str, Any], user: Any = None) -> PriceList:
    """A new price list; names are unique."""
    price_list = PriceList(**_clean(session, values, None))
    session.add(price_list)
    session.flush()
    return price_list


def update_price_list(session: Session, price_list: PriceList, values: dict[str, Any],
                      user: Any = None) -> PriceList:
    """Change a price list's fields."""
    for name, value in _clean(session, values, price_list.id).items():
        setattr(price_list, name, value)
    session.flush()
    return price_list


def set_price(session: Session, price_list: PriceList, sku: str, min_quantity: str,
              unit_price: int) -> PriceListItem:
    """Set the unit price (fen) of the product ``sku`` from ``min_quantity`` (text, units)
    in ``price_list``: a break that exists is changed, else added."""
    product = session.scalar(select(Product).where(Product.sku == (sku or "").strip(),
                                                   Product.deleted_at.is_(None)))
    if product is None:
        raise PriceRefused("sku", _("There is no product with the SKU %(sku)s.", sku=sku))
    try:
        quantity = 0 if not (min_quantity or "").strip() or min_quantity.strip() == "0" \
            else to_milli(min_quantity)
    except MoneyError:
        raise PriceRefused("min_quantity", _("Enter a quantity such as 10 or 2.5.")) from None
    item = session.scalar(select(PriceListItem).where(
        PriceListItem.price_list_id == price_list.id, PriceListItem.product_id == product.id,
        PriceListItem.min_quantity == quantity))
    if item is None:
        item = PriceListItem(price_list_id=price_list.id, product_id=product.id,
                             min_quantity=quantity, unit_price=unit_price)
        session.add(item)
    else:
        item.unit_price = unit_price
    session.flush()
    return item


def remove_price(session: Session, price_list: PriceList, item_id: int) -> bool:
    """Remove price ``item_id`` of ``price_list``; whether there was one."""
    item = session.scalar(select(PriceListItem).where(
        PriceListItem.id == item_id, PriceListItem.price_list_id == price_list.id))
    if item is None:
        return False
    session.delete(item)
    session.flush()
    return True


def _delete_price_list(session: Session, price_list: PriceList, user: Any) -> str:
    for item in session.scalars(select(PriceListItem).where(
            PriceListItem.price_list_id == price_list.id)):
        session.delete(item)  # one by one: the operation log records each price
    session.delete(price_list)
    return _("Price list deleted with its prices.")


class PriceForm(FlaskForm):
    """One price of a list: the product by SKU, from a quantity, a unit price."""

    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=64)],
                      render_kw={"maxlength": 64, "autocomplete": "off"})
    min_quantity = StringField(_l("From quantity"), validators=[Optional(), Length(max=20)],
                               render_kw={"inputmode": "decimal", "placeholder": "0"})
    unit_price = YuanFormField(_l("Unit price (yuan)"), validators=[DataRequired()],
                               render_kw={"inputmode": "decimal", "placeholder": "19.99"})


def price_rows(session: Session, price_list_id: int) -> list[dict[str, Any]]:
    """The prices of a list with their products, by product name and quantity."""
    rows = session.execute(
        select(PriceListItem, Product.sku, Product.name)
        .join(Product, Product.id == PriceListItem.product_id)
        .where(PriceListItem.price_list_id == price_list_id)
        .order_by(Product.name, PriceListItem.min_quantity).limit(2000))
    return [{"id": item.id, "sku": sku, "name": name,
             "min_quantity": quantity_text(item.min_quantity),
             "unit_price": yuan(item.unit_price)} for item, sku, name in rows]


def _prices_panel(record: PriceList) -> dict[str, Any]:
    return {"prices": price_rows(get_session(), record.id), "price_form": PriceForm()}


PRICE_LISTS = Resource(
    model=PriceList, name="price_lists", label=_l("Price lists"), label_one=_l("Price list"),
    fields=[Field("name", _l("Name")),
            Field("customer_type_id", _l("Customer type"), format=_type_name),
            Field("customer_level", _l("Customer level")),
            Field("active", _l("Active")),
            Field("valid_from", _l("Valid from")), Field("valid_to", _l("Valid to")),
            Field("position", _l("Position"))],
    columns=["name", "customer_type_id", "customer_level", "active", "valid_to"],
    search=["name"], default_sort="id", form_class=PriceListForm,
    create=create_price_list, update=update_price_list, delete=_delete_price_list,
    panels=[Panel(_l("Prices"), "sales/catalog/_prices.html", _prices_panel)],
    actions=("view", "create", "edit", "delete"), soft_delete=None,
    icon="tags", order=431, parent="sales.products",
)
