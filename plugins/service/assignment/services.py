"""Who works a ticket: the assignment rules route a new ticket to a team (and maybe one of
its members); the team's mode then picks an available member (round robin: the one assigned
longest ago; least open: the one holding the fewest open tickets). Every change of assignee
is written to the ticket's history and told to the new assignee.

Picking is safe under concurrent creation: the ticket's insert comes first, so on SQLite
the transaction already holds the database's write lock, and on PostgreSQL the team's row
is locked (``SELECT … FOR UPDATE``) until the transaction ends; two tickets created at once
never read the same "longest idle" member. Services flush, the caller commits.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    NotificationKind,
    model_for_table,
    notify,
    record_event,
    user_names,
    utcnow,
)

from ..models import OPEN_STATES, AssignmentRule, Team, TeamMember, Ticket
from ..tickets.due import customer_level as customer_level_of

log = logging.getLogger(__name__)
#: The notification a new assignee gets.
ASSIGNED_KIND = "service.ticket_assigned"
#: The modes that pick a member by themselves ("manual": the lead assigns).
AUTOMATIC = {"round_robin": _l("round robin"), "least_open": _l("fewest open tickets")}


def matching_rule(session: Session, request_type: str, priority: str,
                  customer_level: str) -> AssignmentRule | None:
    """The first active rule (by position) matching a ticket of ``priority`` for a request
    of ``request_type`` and a customer of ``customer_level`` whose team is active."""
    return session.scalar(
        select(AssignmentRule).join(Team, Team.id == AssignmentRule.team_id)
        .where(AssignmentRule.is_active.is_(True), Team.is_active.is_(True),
               AssignmentRule.request_type.in_(("", request_type)),
               AssignmentRule.priority.in_(("", priority)),
               AssignmentRule.customer_level.in_(("", customer_level or "")))
        .order_by(AssignmentRule.position, AssignmentRule.id).limit(1))


def open_tickets(user_id: Any) -> Any:
    """How many open tickets ``user_id`` holds (a correlated count on the
    ``(assignee_id, state, id)`` index)."""
    return (select(func.count(Ticket.id))
            .where(Ticket.assignee_id == user_id, Ticket.state.in_(OPEN_STATES),
                   Ticket.deleted_at.is_(None))
            .scalar_subquery())


def _lock_team(session: Session, team_id: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Team.id).where(Team.id == team_id).with_for_update())


def pick_member(session: Session, team: Team, mode: str | None = None) -> TeamMember | None:
    """The available member (an active user) who takes the team's next ticket, by ``mode``
    (default: the team's); None when it is assigned by hand or nobody is available."""
    mode = mode or team.assignment_mode
    if mode not in AUTOMATIC:
        return None
    user = model_for_table("core_user")
    found = (select(TeamMember).join(user, user.id == TeamMember.user_id)
             .where(TeamMember.team_id == team.id, TeamMember.available.is_(True),
                    user.is_active.is_(True)))
    idle = (TeamMember.last_assigned_at.is_not(None), TeamMember.last_assigned_at,
            TeamMember.id)  # never assigned first, then the longest idle
    if mode == "least_open":
        found = found.order_by(open_tickets(TeamMember.user_id), *idle)
    else:
        found = found.order_by(*idle)
    return session.scalar(found.limit(1))


def _names(session: Session, *ids: Any) -> dict[Any, str]:
    return user_names(session, {value for value in ids if value is not None})


def set_assignee(session: Session, ticket: Ticket, assignee_id: int | None, user: Any,
                 *, how: Any = None) -> None:
    """Give ``ticket`` to ``assignee_id``: the ticket's history says who had it and who has
    it now (and ``how``, for an automatic pick), and the new assignee is told unless they
    made the change themselves."""
    previous = ticket.assignee_id
    ticket.assignee_id = assignee_id
    if previous == assignee_id:
        return
    session.flush()
    names = _names(session, previous, assignee_id)
    new = names.get(assignee_id, "—")
    if how is not None:
        message = _l("Assigned automatically to %(name)s (%(how)s).", name=new, how=how)
    elif previous is None:
        message = _l("Assigned to %(name)s.", name=new)
    else:
        message = _l("Reassigned from %(old)s to %(new)s.", old=names.get(previous, "—"),
                     new=new)
    record_event("assign", message, model=Ticket, record_id=ticket.id,
                 changes={"assignee_id": {"old": previous, "new": assignee_id}},
                 session=session)
    if assignee_id is not None and assignee_id != getattr(user, "id", None):
        try:
            with session.begin_nested():
                notify([assignee_id], ASSIGNED_KIND,
                       _l("Ticket %(number)s is assigned to you", number=ticket.number),
                       ticket.subject, f"/service/tickets/{ticket.id}", session=session)
        except Exception:  # noqa: BLE001 - the assignment counts more than its notice
            log.exception("could not tell user %s of ticket %s", assignee_id, ticket.id)


def _rule_assignee(session: Session, rule: AssignmentRule) -> int | None:
    user = model_for_table("core_user")
    if rule.assignee_id is None:
        return None
    return session.scalar(select(user.id).where(user.id == rule.assignee_id,
                                                user.is_active.is_(True)))


def auto_assign(session: Session, ticket: Ticket, user: Any,
                rule: AssignmentRule | None = None, *, mode: str | None = None) -> int | None:
    """Assign an unassigned, new ticket: to the rule's member when it names one, else to
    the member ``mode`` (default: the team's) picks. Returns the assignee's id, or None
    (left to the lead). A new ticket's insert must be flushed first (see the module's
    docstring)."""
    if ticket.team_id is None or ticket.assignee_id is not None or ticket.state != "new":
        return None
    _lock_team(session, ticket.team_id)
    team = session.get(Team, ticket.team_id)
    chosen, how = (rule and _rule_assignee(session, rule)), _l("assignment rule")
    member = None
    if chosen is not None:
        member = session.scalar(select(TeamMember).where(TeamMember.team_id == team.id,
                                                         TeamMember.user_id == chosen))
    elif (member := pick_member(session, team, mode)) is not None:
        chosen, how = member.user_id, AUTOMATIC[mode or team.assignment_mode]
    if chosen is None:
        return None
    if member is not None:
        member.last_assigned_at = utcnow()
    ticket.state = "assigned"
    set_assignee(session, ticket, chosen, user, how=how)
    session.flush()
    return chosen


def assign_new_ticket(session: Session, ticket: Ticket, user: Any, *, request_type: str,
                      customer_level: str = "", routed: bool = True) -> int | None:
    """At a ticket's creation (after its insert): when ``routed`` (no team was chosen), the
    first matching rule moves it to its team; then ``auto_assign``. Returns the
    assignee's id or None."""
    rule = None
    if routed:
        level = customer_level or customer_level_of(session, ticket.customer_id)
        rule = matching_rule(session, request_type, ticket.priority, level)
    if rule is not None and rule.team_id != ticket.team_id:
        team = session.get(Team, rule.team_id)
        ticket.team_id, ticket.department_id = team.id, team.department_id
        session.flush()
    return auto_assign(session, ticket, user, rule)


def notification_kinds() -> list[NotificationKind]:
    """A ticket given to you."""
    return [NotificationKind(ASSIGNED_KIND, _l("Ticket assigned to you"),
                             description=_l("A ticket was assigned to you, by a person or "
                                            "automatically."))]
