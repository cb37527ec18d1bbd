"""Print pages: ``/sales/quotes/<quote_id>/print`` (``sales.quote.view``) and
``/sales/orders/<order_id>/print`` (``sales.order.view``); 404 outside the user's scope.

The page is the document on screen with a "Print" button (``static/print.js``); printed,
``static/print.css`` leaves out the menu and the buttons and lays it on A4.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from crm_core.toolkit import db, get_scoped_or_404, require_permission

from ..models import Order, Quote
from .document import order_document, quote_document

bp = Blueprint("sales_printing", __name__, template_folder="../templates",
               static_folder="../static", static_url_path="/print-static",
               url_prefix="/sales")


@bp.get("/quotes/<int:quote_id>/print")
@require_permission("sales.quote.view")
def quote(quote_id: int) -> Any:
    """The quote as it is sent: letterhead, customer, lines, totals, 大写, signatures."""
    record = get_scoped_or_404(Quote, quote_id, live_only=True)
    document = quote_document(db.session, record, current_user)
    db.session.commit()  # a reveal the print logged
    return render_template("sales/printing/document.html", doc=document,
                           back=("sales_quotes.detail", {"quote_id": record.id}))


@bp.get("/orders/<int:order_id>/print")
@require_permission("sales.order.view")
def order(order_id: int) -> Any:
    """The order as it is sent."""
    record = get_scoped_or_404(Order, order_id, live_only=True)
    document = order_document(db.session, record, current_user)
    db.session.commit()  # a reveal the print logged
    return render_template("sales/printing/document.html", doc=document,
                           back=("sales_orders.detail", {"order_id": record.id}))


def blueprints() -> list[Blueprint]:
    """The print pages (and the static files they load)."""
    return [bp]
