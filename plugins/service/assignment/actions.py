"""Assigning an existing ticket: to a chosen person (reassignment) or automatically (the
"Assign automatically" button, ``POST …/assign`` without an assignee, ``crm service assign``).
Both go through ``services.set_assignee``, so the ticket's history and the new assignee's
notification are the same whichever way it came. Services flush, the caller commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import model_for_table

from ..models import OPEN_STATES, Team, Ticket
from ..tickets.services import TicketError
from .services import AUTOMATIC, auto_assign, set_assignee


def _check(ticket: Ticket, version: int | None) -> None:
    if version is not None and version != ticket.version:
        raise TicketError("version", _("The ticket changed since you opened it. Reload it and "
                                       "try again."), status=409)
    if ticket.state not in OPEN_STATES:
        raise TicketError("state", _("A resolved or closed ticket keeps its assignee."))


def reassign(session: Session, ticket: Ticket, assignee_id: Any, user: Any, *,
             version: int | None = None) -> Ticket:
    """Give an open ticket to ``assignee_id`` (an active user); a new ticket becomes
    assigned. Refused naming ``assignee_id``, ``state`` or ``version``."""
    _check(ticket, version)
    person = model_for_table("core_user")
    if not isinstance(assignee_id, int) or session.scalar(select(person.id).where(
            person.id == assignee_id, person.is_active.is_(True))) is None:
        raise TicketError("assignee_id", _("Not a valid choice."))
    if ticket.state == "new":
        ticket.state = "assigned"
    set_assignee(session, ticket, assignee_id, user)
    session.flush()
    return ticket


def assign_automatically(session: Session, ticket: Ticket, user: Any, *,
                         version: int | None = None) -> Ticket:
    """Let the team's mode (round robin for a team assigned by hand) pick an available
    member for a new, unassigned ticket; refused naming ``assignee_id`` when the ticket
    has an assignee or nobody is available."""
    _check(ticket, version)
    if ticket.assignee_id is not None or ticket.state != "new":
        raise TicketError("assignee_id", _("The ticket is assigned already."))
    if ticket.team_id is None:
        raise TicketError("team_id", _("The ticket has no team to pick a member from."))
    team_mode = session.scalar(select(Team.assignment_mode).where(Team.id == ticket.team_id))
    mode = team_mode if team_mode in AUTOMATIC else "round_robin"
    if auto_assign(session, ticket, user, mode=mode) is None:
        raise TicketError("assignee_id", _("No member of the ticket's team is available."))
    return ticket
