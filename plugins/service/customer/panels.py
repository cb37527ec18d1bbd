"""The customer 360° page's tickets panel (a part: ``customer_panels``): the customer's
newest tickets the viewer may see (``service.ticket.view`` and the ticket scope), one
indexed query (``customer_id``), with links to them and, when permitted, to enter a request
for this customer.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm_core.toolkit import db, format_datetime, scoped

from ..models import Ticket
from ..models.choices import PRIORITY_LABELS, TICKET_STATE_LABELS
from ..permissions import REQUEST_CREATE, TICKET_VIEW
from ..tickets.due import sla_state_now

ROWS = 5


def _tickets(customer_id: int, user: Any) -> dict[str, Any]:
    query = scoped(select(Ticket).where(Ticket.customer_id == customer_id,
                                        Ticket.deleted_at.is_(None))
                   .order_by(Ticket.id.desc()).limit(ROWS), Ticket, user)
    rows = [{"ticket": ticket, "state": TICKET_STATE_LABELS.get(ticket.state, ticket.state),
             "priority": PRIORITY_LABELS.get(ticket.priority, ticket.priority),
             "due": format_datetime(ticket.resolution_due),
             "breached": sla_state_now(ticket) == "breached"}
            for ticket in db.session.scalars(query)]
    new = None
    if user.has_permission(REQUEST_CREATE):
        new = url_for("service_requests.new", customer_id=customer_id,
                      next=url_for("customers.detail", customer_id=customer_id))
    html = render_template("service/customer/_tickets.html", rows=rows, new=new)
    return {"id": "service.tickets", "title": _("Tickets"), "html": html, "order": 400}


def customer_panels(customer_id: int, user: Any) -> list[dict[str, Any]]:
    """The tickets panel, for holders of ``service.ticket.view``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [_tickets(customer_id, user)] if user.has_permission(TICKET_VIEW) else []
