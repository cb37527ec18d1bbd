"""The quote actions' API beside the Resource's: ``POST /api/v1/sales/quotes/<id>/order``
(turn it into an order, once) and ``POST /api/v1/sales/quotes/<id>/status``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from crm_core.toolkit import api_endpoint, db, get_scoped_or_404

from ..models import Quote
from ..orders.api import OrderOut, order_out
from ..orders.services import order_lines
from . import services
from .schemas import QuoteOut, StatusIn

api = Blueprint("sales_quote_actions_api", __name__)
BASE = "/api/v1/sales/quotes/<int:quote_id>"


def _quote(quote_id: int) -> Quote:
    return get_scoped_or_404(Quote, quote_id, live_only=True)


@api_endpoint(api, f"{BASE}/order", methods=["POST"], permission="sales.order.create",
              response=OrderOut, status=201, tags=["sales"], endpoint="to_order")
def to_order(quote_id: int) -> Any:
    """Turn the quote into an order with the same lines; answers the order (as
    ``/api/v1/sales/orders/<id>`` does); 409 once it was.

    The quote's ``order_id`` and ``status`` ("ordered") change with it; 404 outside your
    scope."""
    quote = _quote(quote_id)
    order = services.convert_to_order(db.session, quote, current_user)
    answer = order_out(order, order_lines(db.session, [order.id])[order.id])
    db.session.commit()
    return answer


@api_endpoint(api, f"{BASE}/status", methods=["POST"], permission="sales.quote.edit",
              body=StatusIn, response=QuoteOut, tags=["sales"], endpoint="status")
def change_status(body: dict[str, Any], quote_id: int) -> Any:
    """Mark the quote sent, accepted, rejected or back to draft; 409 when its state does
    not allow it."""
    quote = _quote(quote_id)
    services.move(db.session, quote, body["status"])
    db.session.commit()
    return quote
