"""The sales facts analytics may read (the ``crm_analytics_sources`` hook, an optional hook:
sales works without analytics and imports nothing of it).

``sales.orders``: confirmed orders (confirmed, delivered, completed; not deleted), on the day
they were confirmed, in the order's data scope. ``sales.order_lines``: their lines, for
figures per product. ``sales.opportunities``: opportunities not deleted, on the day they
were created, per stage and type, with their expected amount. Amounts are fen (divisor
100: yuan to the fen). Region and industry are the customer's, read through the customers
plugin's published table.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm_core.toolkit import model_for_table
from plugins.customers.services import CUSTOMER_TABLE

from .aggregates.listeners import CONFIRMED
from .models import Opportunity, Order, OrderLine, Product, Stage
from .models.documents import ORDER_STATUS_LABELS
from .models.opportunity import OPPORTUNITY_TYPE_LABELS


def _product_names(session: Any, ids: list[int]) -> dict[int, str]:
    rows = session.execute(select(Product.id, Product.name).where(Product.id.in_(ids)))
    return {key: name for key, name in rows}


def _stage_names(session: Any, ids: list[int]) -> dict[int, str]:
    rows = session.execute(select(Stage.id, Stage.name).where(Stage.id.in_(ids)))
    return {key: name for key, name in rows}


def _customer_dimensions() -> list[dict[str, Any]]:
    """Region (province) and industry of the order's customer, as correlated subqueries."""
    customer = model_for_table(CUSTOMER_TABLE)
    def of(column: Any) -> Any:
        return select(column).where(customer.id == Order.customer_id).scalar_subquery()
    return [{"id": "region", "label": _l("Region"), "expr": of(customer.province)},
            {"id": "industry", "label": _l("Industry"), "expr": of(customer.industry)}]


def _people() -> list[dict[str, Any]]:
    return [{"id": "owner", "label": _l("Owner"), "expr": Order.owner_id, "kind": "user",
             "drill": "/sales/orders?owner_id={value}"},
            {"id": "department", "label": _l("Department"), "expr": Order.department_id,
             "kind": "department"}]


def analytics_sources() -> list[dict[str, Any]]:
    """``sales.orders``, ``sales.order_lines`` and ``sales.opportunities`` (docs/analytics.md,
    "Describing facts")."""
    confirmed = (Order.status.in_(CONFIRMED), Order.deleted_at.is_(None),
                 Order.confirmed_at.is_not(None))
    # an order cancelled after its day was rolled up leaves that day's figures at once
    events = {"order_confirmed": "order_id", "order_cancelled": "order_id"}
    money = {"kind": "sum", "divisor": 100, "places": 2, "unit": "CNY"}
    orders = {
        "id": "sales.orders", "label": _l("Confirmed orders"), "table": Order,
        "scope_model": Order, "date": Order.confirmed_at, "where": confirmed,
        "key": Order.id, "events": events,
        # two-dimension queries of these read the month rollups, not every order (owner
        # and department come with every rollup)
        "pairs": [("region", "industry"), ("region", "status"), ("industry", "status")],
        "measures": [
            {"id": "count", "label": _l("Orders"), "kind": "count"},
            {"id": "sum_total", "label": _l("Revenue"), "expr": Order.total_amount, **money},
            {"id": "avg_total", "label": _l("Average order value"), "expr": Order.total_amount,
             **money, "kind": "avg"},
        ],
        "dimensions": [*_people(), *_customer_dimensions(),
                       {"id": "status", "label": _l("Status"), "expr": Order.status,
                        "kind": "choice", "choices": ORDER_STATUS_LABELS}],
    }
    lines = {
        "id": "sales.order_lines", "label": _l("Confirmed order lines"),
        "table": OrderLine.__table__.join(Order.__table__, OrderLine.order_id == Order.id),
        "scope_model": Order, "date": Order.confirmed_at, "where": confirmed,
        "key": Order.id, "events": events,
        "measures": [
            {"id": "count", "label": _l("Order lines"), "kind": "count"},
            {"id": "sum_total", "label": _l("Revenue"), "expr": OrderLine.total, **money},
        ],
        "dimensions": [{"id": "product", "label": _l("Product"), "expr": OrderLine.product_id,
                        "kind": "labels", "labels": _product_names}, *_people()],
    }
    opportunities = {
        "id": "sales.opportunities", "label": _l("Opportunities"), "table": Opportunity,
        "scope_model": Opportunity, "date": Opportunity.created_at,
        "where": (Opportunity.deleted_at.is_(None),),
        "pairs": [("stage", "type")],
        "measures": [
            {"id": "count", "label": _l("Opportunities"), "kind": "count"},
            {"id": "sum_amount", "label": _l("Expected amount"), "expr": Opportunity.amount,
             **money},
        ],
        "dimensions": [
            {"id": "owner", "label": _l("Owner"), "expr": Opportunity.owner_id, "kind": "user"},
            {"id": "department", "label": _l("Department"), "expr": Opportunity.department_id,
             "kind": "department"},
            {"id": "stage", "label": _l("Stage"), "expr": Opportunity.stage_id,
             "kind": "labels", "labels": _stage_names},
            {"id": "type", "label": _l("Type"), "expr": Opportunity.type, "kind": "choice",
             "choices": OPPORTUNITY_TYPE_LABELS},
        ],
    }
    return [orders, lines, opportunities]
