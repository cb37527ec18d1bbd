"""The customer facts analytics may read (the ``crm_analytics_sources`` hook, an optional
hook: customers works without analytics and imports nothing of it).

``customers.customers``: customers not in the trash, on the day they were created, in the
customer's data scope; ``sum_total_amount`` is their transaction total (fen; shown in yuan).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .models import Customer, CustomerType


def _type_names(session: Any, ids: list[int]) -> dict[int, str]:
    rows = session.execute(select(CustomerType.id, CustomerType.name)
                           .where(CustomerType.id.in_(ids)))
    return {key: name for key, name in rows}


def analytics_sources() -> list[dict[str, Any]]:
    """``customers.customers`` (docs/analytics.md, "Describing facts")."""
    return [{
        "id": "customers.customers", "label": _l("Customers"), "table": Customer,
        "scope_model": Customer, "date": Customer.created_at,
        "where": (Customer.deleted_at.is_(None),), "key": Customer.id,
        # not customer_updated: every confirmed order updates a customer's total, and
        # a past day's region or industry may wait for the nightly rebuild
        "events": {"customer_deleted": "customer_id", "customer_restored": "customer_id"},
        # a two-dimension query of these reads the month rollups, not every customer
        "pairs": [("region", "industry")],
        "measures": [
            {"id": "count", "label": _l("New customers"), "kind": "count"},
            {"id": "sum_total_amount", "label": _l("Transaction amount"), "kind": "sum",
             "expr": Customer.total_amount, "divisor": 100, "places": 2, "unit": "CNY"},
        ],
        "dimensions": [
            {"id": "owner", "label": _l("Owner"), "expr": Customer.owner_id, "kind": "user"},
            {"id": "department", "label": _l("Department"), "expr": Customer.department_id,
             "kind": "department"},
            {"id": "region", "label": _l("Province"), "expr": Customer.province,
             "drill": "/customers/?province={value}"},
            {"id": "industry", "label": _l("Industry"), "expr": Customer.industry,
             "drill": "/customers/?industry={value}"},
            {"id": "source", "label": _l("Source"), "expr": Customer.source},
            {"id": "level", "label": _l("Level"), "expr": Customer.level},
            {"id": "type", "label": _l("Type"), "expr": Customer.customer_type_id,
             "kind": "labels", "labels": _type_names},
        ],
    }]
