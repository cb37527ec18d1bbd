"""The complaint flag on the customer, through customers' public ``raise_flag`` and
``clear_flag``: a complaint request flags its customer, under the request's number, while
any of its tickets is open; the flag clears when every ticket is resolved or closed, or the
request goes to the trash, and opens again when a ticket is reopened. The request and ticket
services call ``sync_complaint_flag`` after each change that can move it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugins.customers import services as customers

from ..models import ServiceRequest, Ticket

KIND = "service.complaint"
#: Ticket states in which a complaint no longer waits on the company.
SETTLED = ("resolved", "closed")


def customer_flag_kinds() -> dict[str, Any]:
    """The flag service raises on customers, and its label."""
    return {KIND: _l("Open complaint")}


def _open(session: Session, request: ServiceRequest) -> bool:
    if request.type != "complaint" or request.deleted_at is not None:
        return False
    return session.scalar(select(Ticket.id).where(
        Ticket.request_id == request.id, Ticket.deleted_at.is_(None),
        Ticket.state.not_in(SETTLED)).limit(1)) is not None


def sync_complaint_flag(session: Session, request: ServiceRequest, *,
                        previous_customer_id: int | None = None) -> None:
    """Raise or clear the request's complaint flag on its customer (and clear it on
    ``previous_customer_id`` when the request moved to another customer)."""
    if previous_customer_id is not None and previous_customer_id != request.customer_id:
        customers.clear_flag(session, previous_customer_id, KIND, reference=request.number)
    if _open(session, request):
        customers.raise_flag(session, request.customer_id, KIND, reference=request.number,
                             note=request.subject)
    else:
        customers.clear_flag(session, request.customer_id, KIND, reference=request.number)


def sync_for_ticket(session: Session, ticket: Ticket) -> None:
    """``sync_complaint_flag`` for the request of ``ticket``."""
    request = session.get(ServiceRequest, ticket.request_id)
    if request is not None:
        sync_complaint_flag(session, request)
