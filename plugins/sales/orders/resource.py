"""The orders list and detail page, declared as a kernel Resource (``/sales/orders``).

The kernel serves the list (keyset pages, status filter, search by number, export) and the
detail page, within the ``sales.order`` data scope. Creating and editing (with the line
editor) and the state buttons are ``orders.views``; the API is ``orders.api`` (lines
inline), so the Resource offers no form and no API of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    Computed,
    Field,
    Filter,
    Panel,
    Resource,
    amount_in_words,
    get_session,
    model_for_table,
)
from plugins.customers import services as customers

from ..filters import yuan_filter
from ..lines.parsing import line_texts
from ..models import Order
from ..models.documents import ORDER_STATUS_LABELS
from ..money import yuan
from . import services
from .panels import order_panels

STATUS_CHOICES = list(ORDER_STATUS_LABELS.items())
#: Which state buttons an order of each state shows (action, label, button style).
NEXT_STEPS = {
    "draft": [("confirm", _l("Confirm"), "primary"), ("cancel", _l("Cancel order"), "danger")],
    "confirmed": [("deliver", _l("Mark delivered"), "primary"),
                  ("cancel", _l("Cancel order"), "danger")],
    "delivered": [("complete", _l("Mark completed"), "primary")],
    "completed": [], "cancelled": []}
QUESTIONS = {"confirm": _l("Confirm order %(number)s? Its lines cannot be changed after."),
             "deliver": _l("Mark order %(number)s delivered?"),
             "complete": _l("Mark order %(number)s completed?"),
             "cancel": _l("Cancel order %(number)s? This cannot be undone.")}


def customer_names(session: Session, customer_ids: set[int]) -> dict[int, str]:
    """``{id: name}`` of the customers (one statement)."""
    if not customer_ids:
        return {}
    # customers' model by its public table name: sales never imports customers' models
    customer = model_for_table(customers.CUSTOMER_TABLE)
    return dict(session.execute(select(customer.id, customer.name)
                                .where(customer.id.in_(customer_ids))).all())


def _customers_of(session: Session, records: list[Order]) -> Mapping[int, str]:
    names = customer_names(session, {order.customer_id for order in records})
    return {order.id: names.get(order.customer_id, "") for order in records}


def _delete(session: Session, order: Order, user: Any) -> None:
    services.delete_order(session, order, user)


def _lines_panel(order: Order) -> dict[str, Any]:
    session = get_session()
    lines = services.order_lines(session, [order.id])[order.id]
    return {"lines": [{**line_texts(line), "subtotal": yuan(line.subtotal),
                       "tax": yuan(line.tax), "total": yuan(line.total)} for line in lines],
            "order": order, "words": amount_in_words(order.total_amount),
            "customer": customer_names(session, {order.customer_id}).get(order.customer_id),
            "steps": NEXT_STEPS.get(order.status, []),
            "questions": {action: str(question) % {"number": order.number}
                          for action, question in QUESTIONS.items()},
            "amounts": {"untaxed": yuan(order.untaxed_amount), "tax": yuan(order.tax_amount),
                        "total": yuan(order.total_amount)},
            "plugin_panels": order_panels(order.id, current_user)}


ORDERS = Resource(
    model=Order, name="orders", label=_l("Orders"), label_one=_l("Order"),
    fields=[Field("number", _l("Number")),
            Field("status", _l("Status"), choices=STATUS_CHOICES),
            Field("order_date", _l("Order date")),
            Field("total_amount", _l("Total"), format=yuan),
            Field("untaxed_amount", _l("Untaxed amount"), format=yuan),
            Field("tax_amount", _l("Tax"), format=yuan),
            Field("owner_id", _l("Owner"), relation="user"),
            Field("confirmed_at", _l("Confirmed")),
            Field("notes", _l("Notes"), textarea=True)],
    columns=["number", "customer", "status", "order_date", "total_amount", "owner_id"],
    computed=[Computed("customer", _l("Customer"), _customers_of)],
    filters=[Filter("status", "choice"), Filter("owner_id", "relation"),
             Filter("total_amount", "range", _l("Total (yuan)"), parse=yuan_filter)],
    search=["number"], default_sort="-id",
    sections=[], panels=[Panel(_l("Lines"), "sales/orders/_lines.html", _lines_panel)],
    actions=("view", "delete", "export"), api=False, delete=_delete,
    export_columns=["id", "number", "status", "order_date", "untaxed_amount", "tax_amount",
                    "total_amount", "owner_id", "confirmed_at"],
    templates={"list": "sales/orders/list.html", "detail": "sales/orders/detail.html"},
    icon="receipt", order=300,
)
