"""A ticket's states and the moves between them.

new → assigned → in progress → waiting on customer → resolved → closed; work goes back from
waiting to in progress when the customer answers, straight from in progress to resolved,
and a resolved ticket may be reopened (back to in progress). A closed ticket is final. Any
other move is refused naming ``state``; a stale ``version`` is a 409 conflict.

The first reply to the customer is the first response (``thread.services``); the first
move past assigned counts too, for an answer given by phone or in person, which leaves no
reply. Resolving stores whether the SLA was met.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import emit, model_for_table, utcnow

from ..assignment.services import set_assignee
from ..customer.flags import sync_for_ticket
from ..models import TICKET_STATES, TeamMember, Ticket
from ..models.choices import TICKET_STATE_LABELS
from ..sla import clocks
from . import due
from .services import TicketError

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("assigned",),
    "assigned": ("in_progress",),
    "in_progress": ("waiting_on_customer", "resolved"),
    "waiting_on_customer": ("in_progress", "resolved"),
    "resolved": ("closed", "in_progress"),  # in progress again: the ticket is reopened
    "closed": (),
}
#: States that count as the agent having answered the customer.
ANSWERED = ("in_progress", "waiting_on_customer", "resolved")


def next_states(ticket: Ticket) -> tuple[str, ...]:
    """The states ``ticket`` may move to now."""
    return TRANSITIONS.get(ticket.state, ())


def _assignee(session: Session, assignee_id: Any) -> int:
    user = model_for_table("core_user")
    if not isinstance(assignee_id, int) or session.scalar(
            select(user.id).where(user.id == assignee_id, user.is_active.is_(True))) is None:
        raise TicketError("assignee_id", _("Not a valid choice."))
    return assignee_id


def assignee_choices(session: Session, ticket: Ticket, limit: int = 200
                     ) -> list[tuple[int, str]]:
    """``(user id, name)`` of whom the ticket may be assigned to: the active members of its
    team, else the active users of its department (at most ``limit``)."""
    user = model_for_table("core_user")
    found = select(user.id, user.display_name, user.username).where(user.is_active.is_(True))
    if ticket.team_id is not None and session.scalar(
            select(TeamMember.id).where(TeamMember.team_id == ticket.team_id).limit(1)):
        found = found.join(TeamMember, TeamMember.user_id == user.id).where(
            TeamMember.team_id == ticket.team_id)
    elif ticket.department_id is not None:
        found = found.where(user.department_id == ticket.department_id)
    else:
        return []
    return [(row.id, row.display_name or row.username)
            for row in session.execute(found.order_by(user.username).limit(limit))]


def change_state(session: Session, ticket: Ticket, state: str, user: Any, *,
                 assignee_id: Any = None, version: int | None = None) -> Ticket:
    """Move ``ticket`` to ``state``. Moving to ``assigned`` needs an assignee (``assignee_id``,
    else the ticket's own). ``version``, when given, must be the ticket's current one."""
    if version is not None and version != ticket.version:
        raise TicketError("version", _("The ticket changed since you opened it. Reload it and "
                                       "try again."), status=409)
    if state not in TICKET_STATES:
        raise TicketError("state", _("Not a valid choice."))
    if state not in next_states(ticket):
        raise TicketError("state", _("A ticket that is %(current)s cannot become %(state)s.",
                                     current=str(TICKET_STATE_LABELS[ticket.state]).lower(),
                                     state=str(TICKET_STATE_LABELS[state]).lower()))
    now = utcnow()
    clocks.follow_move(session, ticket, state, now)  # pauses, restarts, the reopen window
    if assignee_id is not None:
        set_assignee(session, ticket, _assignee(session, assignee_id), user)
    if state == "assigned" and ticket.assignee_id is None:
        raise TicketError("assignee_id", _("Choose whom to assign the ticket to."))
    if state in ANSWERED and ticket.first_responded_at is None:
        ticket.first_responded_at = now
    reopened = ticket.state == "resolved" and state == "in_progress"
    if reopened:
        ticket.resolved_at = None  # its clocks run again; a read past due says breached
        ticket.sla_state = "ok" if ticket.resolution_due is not None else "none"
    if state == "resolved":
        ticket.resolved_at = now
        ticket.sla_state = due.settled_sla_state(ticket, now)
    if state == "closed":
        ticket.closed_at = now
    ticket.state = state
    session.flush()
    sync_for_ticket(session, ticket)
    if state == "resolved":
        emit("ticket_resolved", session, ticket_id=ticket.id, customer_id=ticket.customer_id,
             sla_state=ticket.sla_state)
    elif reopened:
        emit("ticket_reopened", session, ticket_id=ticket.id, customer_id=ticket.customer_id)
    return ticket
