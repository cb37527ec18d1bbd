"""The ticket page's assignment panel: who has the ticket, "Assign automatically" for a new
unassigned one, and a select to give an open one to someone else (the team's members, else
the department's people). Its form posts to ``routes.assign_page``."""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import get_session, user_names

from ..models import OPEN_STATES, Ticket
from ..tickets.states import assignee_choices


def assignment_context(ticket: Ticket) -> dict[str, Any]:
    """What the panel shows and offers."""
    session = get_session()
    open_ = ticket.state in OPEN_STATES
    return {"assignee": user_names(session, [ticket.assignee_id]).get(ticket.assignee_id)
            if ticket.assignee_id else None,
            "automatic": open_ and ticket.state == "new" and ticket.assignee_id is None
            and ticket.team_id is not None,
            "choices": assignee_choices(session, ticket) if open_ else []}
