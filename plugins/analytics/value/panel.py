"""The customer 360° page's "Customer value" panel (a part: ``customer_panels``): the RFM
scores and segment, and the churn level with its reason in words. One indexed read."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select

from crm_core.toolkit import get_session, scoped

from ..permissions import VIEW
from .models import CustomerValue
from .purchases import all_purchases
from .segments import CHURN_LABELS, SEGMENT_LABELS, reason


def customer_panels(customer_id: int, user: Any) -> list[dict[str, Any]]:
    """The panel, for a reader who may see analysis figures and this customer."""
    found = all_purchases()
    if not found or not user.has_permission(VIEW):
        return []
    customer = found[0].customer
    statement = scoped(select(CustomerValue)
                       .join(customer, customer.id == CustomerValue.customer_id)
                       .where(CustomerValue.customer_id == customer_id), customer, user)
    value = get_session().scalar(statement)
    html = render_template(
        "analytics/value/_panel.html", value=value,
        segment=SEGMENT_LABELS.get(value.segment, "") if value else "",
        churn=CHURN_LABELS.get(value.churn, "") if value else "",
        reason=reason(value) if value else "")
    return [{"id": "analytics.value", "title": _("Customer value"), "html": html,
             "order": 150}]
