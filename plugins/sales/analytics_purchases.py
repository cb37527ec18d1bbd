"""The purchases analytics may read for customer value and churn risk (the
``crm_analytics_purchases`` hook, an optional hook: sales works without analytics and
imports nothing of it).

A purchase is a confirmed order (confirmed, delivered, completed; not deleted; its customer
not in the trash), on the moment it was confirmed, worth its total (fen, tax included).
Payments are not offered beside it: a payment pays for an order already counted, and
counting both would count the same money twice; an order cancelled after confirmation
leaves the figures at the next computation.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm_core.toolkit import model_for_table
from plugins.customers.services import CUSTOMER_TABLE

from .aggregates.listeners import CONFIRMED
from .models import Order


def analytics_purchases() -> list[dict[str, Any]]:
    """``sales.orders``: one row per confirmed order (docs/analytics.md, "Customer value")."""
    customer = model_for_table(CUSTOMER_TABLE)
    rows = (select(Order.customer_id.label("customer_id"), Order.confirmed_at.label("at"),
                   Order.total_amount.label("amount"))
            .join(customer, customer.id == Order.customer_id)
            .where(Order.status.in_(CONFIRMED), Order.deleted_at.is_(None),
                   Order.confirmed_at.is_not(None), customer.deleted_at.is_(None)))
    return [{"id": "sales.orders", "label": _l("Confirmed orders"), "rows": rows,
             "customer": customer, "name": customer.name, "endpoint": "customers.detail"}]
