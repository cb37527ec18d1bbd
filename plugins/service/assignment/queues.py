"""The tickets list's queues, as the kernel's presets (tabs with counts above the list,
``?view=<name>`` on the page and the API): mine, my team's, unassigned and due soon, each
of open tickets and within the reader's data scope.

Each is one index range: mine ``(assignee_id, state, id)``, my team's ``(team_id, state,
id)`` (the teams read by a subquery on the memberships), unassigned ``(assignee_id, state,
id)`` with a NULL assignee, due soon the SLA sweep's ``(sla_state, resolution_warn_at,
id)``: the tickets the sweep marked due soon (80 % of a target's working time gone) or
breached.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select

from crm_core.toolkit import Preset

from ..models import OPEN_STATES, TeamMember, Ticket

#: The SLA states of the "due soon" queue.
DUE_SOON_STATES = ("breached", "warning")


def _open() -> Any:
    return Ticket.state.in_(OPEN_STATES)


def mine(user: Any) -> Any:
    """Open tickets assigned to ``user``."""
    return and_(Ticket.assignee_id == user.id, _open())


def my_teams(user: Any) -> Any:
    """Open tickets of the teams ``user`` is a member of."""
    return and_(Ticket.team_id.in_(select(TeamMember.team_id)
                                   .where(TeamMember.user_id == user.id)), _open())


def unassigned(user: Any) -> Any:
    """Open tickets nobody has yet."""
    return and_(Ticket.assignee_id.is_(None), _open())


def due_soon(user: Any) -> Any:
    """Open tickets the SLA sweep marked due soon or breached."""
    return and_(Ticket.sla_state.in_(DUE_SOON_STATES), _open())


def queue_presets() -> list[Preset]:
    """The tickets list's presets, in the order of their tabs."""
    return [Preset("mine", _l("Mine"), mine),
            Preset("team", _l("My teams"), my_teams),
            Preset("unassigned", _l("Unassigned"), unassigned),
            Preset("due_soon", _l("Due soon"), due_soon)]
