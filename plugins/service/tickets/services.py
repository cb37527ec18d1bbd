"""A ticket's rules: create one for a request (number, team, department, due times), change
its fields. States move in ``tickets.states``.

A ticket belongs to its team's department (the data scope of ``service.ticket``), so the
team's agents see it; without a team it stays in the request's department. Services flush,
the caller commits; a refused value raises ``TicketError`` naming its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, emit, scoped, utcnow

from ..assignment.services import assign_new_ticket
from ..customer.flags import sync_complaint_flag, sync_for_ticket
from ..models import PRIORITIES, ServiceRequest, Team, Ticket
from . import due

SUBJECT_MAX = 200


class TicketError(DomainError):
    """A refused ticket change; ``field`` names the field (422 in the API), ``status`` may
    say 409 for a conflict."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def choose_team(session: Session, team_id: Any, user: Any) -> Team | None:
    """The team a new ticket goes to: ``team_id`` (an active team) when given, else the
    first active team of ``user``'s department, else None."""
    if team_id is not None:
        team = session.get(Team, team_id) if isinstance(team_id, int) else None
        if team is None or not team.is_active:
            raise TicketError("team_id", _("Not a valid choice."))
        return team
    department_id = getattr(user, "department_id", None)
    if department_id is None:
        return None
    return session.scalar(select(Team).where(Team.department_id == department_id,
                                             Team.is_active.is_(True))
                          .order_by(Team.id).limit(1))


def _subject(value: Any, fallback: str) -> str:
    text = str(value or "").strip() or fallback
    if not text:
        raise TicketError("subject", _("Enter a subject."))
    if len(text) > SUBJECT_MAX:
        raise TicketError("subject", _("At most %(n)d characters.", n=SUBJECT_MAX))
    return text


def _priority(value: Any, fallback: str) -> str:
    priority = value or fallback
    if priority not in PRIORITIES:
        raise TicketError("priority", _("Not a valid choice."))
    return priority


def set_due_times(session: Session, ticket: Ticket, request: ServiceRequest,
                  start: dt.datetime, customer_level: str = "") -> None:
    """Set the ticket's due and warning times from the SLA policy, its clocks starting at
    ``start``."""
    found = due.targets(session, due.aware(start), ticket.priority, request.type,
                        customer_level)
    ticket.first_response_due, ticket.resolution_due = (found.first_response_due,
                                                        found.resolution_due)
    ticket.first_response_warn_at = found.first_response_warn_at
    ticket.resolution_warn_at = found.resolution_warn_at
    ticket.sla_state = "ok" if found.resolution_due is not None else "none"


def create_ticket(session: Session, request: ServiceRequest, user: Any, *,
                  subject: Any = None, priority: Any = None, team_id: Any = None,
                  start: dt.datetime | None = None, customer_level: str = "") -> Ticket:
    """A new ticket (state ``new``) for ``request``: numbered ``<request number>-<n>``, in
    the chosen (or the author's department's) team, due by the SLA policy counted from
    ``start`` (default: now)."""
    team = choose_team(session, team_id, user)
    count = session.scalar(select(func.count(Ticket.id))
                           .where(Ticket.request_id == request.id)) or 0
    ticket = Ticket(request_id=request.id, number=f"{request.number}-{count + 1}",
                    customer_id=request.customer_id,
                    subject=_subject(subject, request.subject),
                    priority=_priority(priority, request.priority), state="new",
                    team_id=team.id if team else None,
                    department_id=team.department_id if team else request.department_id)
    set_due_times(session, ticket, request, start or utcnow(), customer_level)
    session.add(ticket)
    session.flush()
    assign_new_ticket(session, ticket, user, request_type=request.type,
                      customer_level=customer_level, routed=team_id is None)
    emit("ticket_created", session, ticket_id=ticket.id, request_id=request.id,
         customer_id=ticket.customer_id, request_type=request.type)
    return ticket


def visible_request(session: Session, request_id: Any, user: Any) -> ServiceRequest:
    """The request ``user`` may see (not in the trash), else ``TicketError`` on
    ``request_id``."""
    found = session.scalar(scoped(select(ServiceRequest).where(
        ServiceRequest.id == request_id, ServiceRequest.deleted_at.is_(None)),
        ServiceRequest, user)) if isinstance(request_id, int) else None
    if found is None:
        raise TicketError("request_id", _("Not a valid choice."))
    return found


def add_ticket(session: Session, values: dict[str, Any], user: Any) -> Ticket:
    """Another ticket for a request ``user`` may see (the Resource's create): its clocks
    start now."""
    request = visible_request(session, values.get("request_id"), user)
    ticket = create_ticket(session, request, user, subject=values.get("subject"),
                           priority=values.get("priority"), team_id=values.get("team_id"))
    sync_complaint_flag(session, request)
    return ticket


def delete_ticket(session: Session, ticket: Ticket, user: Any) -> None:
    """Move the ticket to the trash (the Resource's delete); its request's complaint flag
    follows."""
    ticket.deleted_at = utcnow()
    session.flush()
    sync_for_ticket(session, ticket)


def update_ticket(session: Session, ticket: Ticket, values: dict[str, Any],
                  user: Any) -> Ticket:
    """Change a ticket's subject, priority or team (the Resource's update). A new priority
    recomputes the due times from the request's receipt; a new team moves the ticket to its
    department. A ticket stays with its request; states change through ``states``."""
    if "request_id" in values and values["request_id"] not in (None, ticket.request_id):
        raise TicketError("request_id", _("A ticket stays with its request."))
    if "subject" in values:
        ticket.subject = _subject(values["subject"], "")
    if "team_id" in values and values["team_id"] != ticket.team_id:
        team = choose_team(session, values["team_id"], user) \
            if values["team_id"] is not None else None
        ticket.team_id = team.id if team else None
        if team is not None:
            ticket.department_id = team.department_id
    if "priority" in values and values["priority"] not in (None, ticket.priority):
        ticket.priority = _priority(values["priority"], ticket.priority)
        if ticket.state in ("new", "assigned", "in_progress", "waiting_on_customer"):
            request = session.get(ServiceRequest, ticket.request_id)
            # the first ticket's clocks start at the receipt, a later one's when it was added
            first = ticket.number == f"{request.number}-1"
            set_due_times(session, ticket, request,
                          request.received_at if first else ticket.created_at,
                          due.customer_level(session, ticket.customer_id))
            from ..sla.clocks import reapply_pauses  # clocks imports this module

            reapply_pauses(session, ticket)  # the time spent waiting still does not count
    session.flush()
    return ticket
