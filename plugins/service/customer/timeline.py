"""The customer timeline's service entries (a part: ``customer_timeline``): requests
received (inquiry, complaint or suggestion, with their reference), tickets resolved (with
the service level they attained) and surveys answered (stars, resolved or not), each only
for the records the viewer may see; one query per kind on the ``customer_id`` indexes.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm_core.toolkit import db, scoped
from crm_core.toolkit import stored_time as _aware
from plugins.customers.services import timeline_entries

from ..models import ServiceRequest, Survey, Ticket
from ..models.choices import REQUEST_TYPE_LABELS, SLA_STATE_LABELS
from ..permissions import REQUEST_VIEW, TICKET_VIEW


def _requests(customer_id: int, user: Any, before: Any, limit: int) -> list[dict]:
    query = (select(ServiceRequest.id, ServiceRequest.number, ServiceRequest.type,
                    ServiceRequest.subject, ServiceRequest.received_at)
             .where(ServiceRequest.customer_id == customer_id,
                    ServiceRequest.deleted_at.is_(None))
             .order_by(ServiceRequest.received_at.desc()).limit(limit))
    if before is not None:
        query = query.where(ServiceRequest.received_at < before)
    return [{"at": _aware(at), "kind": f"service.{kind}",
             "title": _("%(type)s %(number)s received: %(subject)s",
                        type=REQUEST_TYPE_LABELS.get(kind, kind), number=number,
                        subject=subject),
             "url": url_for("service_requests.detail", request_id=request_id),
             "plugin": "service"}
            for request_id, number, kind, subject, at
            in db.session.execute(scoped(query, ServiceRequest, user))]


def _resolved(customer_id: int, user: Any, before: Any, limit: int) -> list[dict]:
    query = (select(Ticket.id, Ticket.number, Ticket.subject, Ticket.sla_state,
                    Ticket.resolved_at)
             .where(Ticket.customer_id == customer_id, Ticket.deleted_at.is_(None),
                    Ticket.resolved_at.is_not(None))
             .order_by(Ticket.resolved_at.desc()).limit(limit))
    if before is not None:
        query = query.where(Ticket.resolved_at < before)
    entries = []
    for ticket_id, number, subject, sla_state, at in db.session.execute(
            scoped(query, Ticket, user)):
        title = _("Ticket %(number)s resolved: %(subject)s", number=number, subject=subject)
        if sla_state in ("met", "missed"):
            title = _("%(title)s (service level %(sla)s)", title=title,
                      sla=str(SLA_STATE_LABELS[sla_state]).lower())
        entries.append({"at": _aware(at), "kind": "service.resolved", "title": title,
                        "url": url_for("service_tickets.detail", ticket_id=ticket_id),
                        "plugin": "service"})
    return entries


def _answers(customer_id: int, user: Any, before: Any, limit: int) -> list[dict]:
    query = (select(Survey.ticket_id, Survey.stars, Survey.resolved, Survey.answered_at,
                    Ticket.number)
             .join(Ticket, Ticket.id == Survey.ticket_id)
             .where(Survey.customer_id == customer_id, Survey.answered_at.is_not(None))
             .order_by(Survey.answered_at.desc()).limit(limit))
    if before is not None:
        query = query.where(Survey.answered_at < before)
    entries = []
    for ticket_id, stars, resolved, at, number in db.session.execute(
            scoped(query, Survey, user)):
        title = _("Survey for ticket %(number)s answered: %(stars)s of 5 stars",
                  number=number, stars=stars)
        if resolved is False:
            title = _("%(title)s, not resolved", title=title)
        entries.append({"at": _aware(at), "kind": "service.survey", "title": title,
                        "url": url_for("service_tickets.detail", ticket_id=ticket_id),
                        "plugin": "service"})
    return entries


KINDS = ((REQUEST_VIEW, _requests), (TICKET_VIEW, _resolved), (TICKET_VIEW, _answers))


def customer_timeline(customer_id: int, user: Any, before: Any, limit: int) -> list[dict]:
    """The customer's service events the viewer may see, newest first, older than
    ``before``, at most ``limit`` of them."""
    return timeline_entries(KINDS, customer_id, user, before, limit)
