"""Service demo data (a part: ``demo_data``): ``crm seed --service N``.

Adds N service requests of the existing customers (seed them first, or in the same run:
``crm seed --customers 500 --service 200``), received over the last six weeks by phone,
e-mail, the web form or a visit, each with its first ticket in a demo team (``客户服务部`` /
"Customer service desk", created when there is no team; its lead is the first
administrator). The tickets are spread over every state with plausible times: answered and
resolved within or after their due times, so the stored SLA attainment is a mix of met and
missed; then the SLA sweep marks the open ones due soon or breached. Complaints flag their
customers while open. Words in the seed's language (``--language``).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import create_department, model_for_table, utcnow
from plugins.customers.services import CUSTOMER_TABLE

from ..models import CHANNELS, REQUEST_TYPES, Team, TeamMember
from ..models.choices import OPEN_STATES
from ..permissions import N_
from ..requests.services import create_request
from ..tickets.due import aware, settled_sla_state
from ..tickets.sweep import sweep

SEED = 2026
#: From this size on the seed writes in bulk (``demo/bulk.py``) rather than through the ORM.
BULK_FROM = 20_000
#: What customers write about (translated into the seed's language).
SUBJECTS = (N_("The printer jams every day"), N_("Invoice amount does not match the order"),
            N_("How do I renew the maintenance contract?"),
            N_("Delivery arrived two days late"), N_("Request for on-site training"),
            N_("The login page shows an error"), N_("Suggestion: a monthly usage report"),
            N_("Spare parts for the X200 model"))
#: (state, weight): where the demo tickets are in their life.
STATES = (("new", 20), ("assigned", 12), ("in_progress", 18), ("waiting_on_customer", 6),
          ("resolved", 24), ("closed", 20))
PRIORITIES = (("urgent", 5), ("high", 20), ("normal", 60), ("low", 15))


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _weight in pairs],
                       [weight for _value, weight in pairs])[0]


def _admin(session: Session) -> Any:
    user = model_for_table("core_user")
    return session.scalar(select(user).where(user.is_superuser.is_(True),
                                             user.is_active.is_(True)).order_by(user.id)
                          .limit(1))


def _team(session: Session, lead: Any) -> Team:
    team = session.scalar(select(Team).where(Team.is_active.is_(True)).order_by(Team.id)
                          .limit(1))
    if team is None:
        department = create_department(session, _("Customer service desk"))
        team = Team(name=_("First-line support"), department_id=department.id,
                    lead_id=lead.id, assignment_mode="round_robin")
        session.add(team)
        session.flush()
    return team


def _staff(session: Session, team: Team, lead: Any) -> None:
    """A demo team without members gets its lead as one, available for automatic
    assignment: the requests that come in after the demo's (a public form's) are assigned.
    Added after the demo's tickets, which keep the states they were given."""
    if session.scalar(select(TeamMember.id).where(TeamMember.team_id == team.id)
                      .limit(1)) is None:
        session.add(TeamMember(team_id=team.id, user_id=lead.id))


def _live(ticket: Any, state: str, rng: random.Random, agent_id: int) -> None:
    """Put a new ticket into ``state`` with times that fit its receipt."""
    received = aware(ticket.created_at) if ticket.created_at else utcnow()
    start = aware(ticket.first_response_due) or received
    if state == "new":
        return
    ticket.assignee_id = agent_id
    if state in ("assigned",):
        ticket.state = state
        return
    answered = start + dt.timedelta(hours=rng.uniform(-3, 3))  # before or after its due time
    ticket.first_responded_at = min(answered, utcnow())
    ticket.state = state
    if state == "waiting_on_customer":  # its clocks stand still since it was answered
        ticket.paused_at = ticket.first_responded_at
    if state in ("resolved", "closed"):
        due = aware(ticket.resolution_due) or answered
        resolved = min(due + dt.timedelta(hours=rng.uniform(-20, 10)), utcnow())
        ticket.resolved_at = max(resolved, ticket.first_responded_at)
        ticket.sla_state = settled_sla_state(ticket, ticket.resolved_at)
        if state == "closed":
            ticket.closed_at = min(ticket.resolved_at + dt.timedelta(days=2), utcnow())


def demo_data(size: int, session: Session) -> list[Any]:
    """``crm seed --service N``: add ``size`` requests with their tickets (see the module
    docstring); commits; returns nothing to gather."""
    if size <= 0:
        return []
    customer = model_for_table(CUSTOMER_TABLE)
    customers = list(session.scalars(select(customer.id).where(customer.deleted_at.is_(None))
                                      .order_by(customer.id).limit(5000)))
    lead = _admin(session)
    if not customers or lead is None:
        print("service demo data: none added (it needs customers and an administrator: "
              "crm seed --customers N first)", file=sys.stderr, flush=True)
        return []
    rng, team = random.Random(SEED + size), _team(session, lead)
    if size >= BULK_FROM:  # through the driver in batches (demo/bulk.py): millions of rows
        from .bulk import fill

        session.commit()
        report = fill(session, requests=size, subjects=SUBJECTS, seed=SEED)
        counts = sweep(session, now=utcnow())
        _staff(session, team, lead)
        session.commit()
        print(f"service demo data: {report.tables} in {report.seconds:.0f} s, "
              f"{counts['warned']:,} due soon and {counts['breached']:,} breached",
              file=sys.stderr, flush=True)
        return []
    now = utcnow()
    for _number in range(size):
        state = _weighted(rng, STATES)
        # open work came in lately (a few days); the settled came in over six weeks
        days = 3 if state in OPEN_STATES else 42
        received = now - dt.timedelta(minutes=rng.randint(30, days * 24 * 60))
        request = create_request(session, {
            "customer_id": rng.choice(customers), "type": rng.choice(REQUEST_TYPES),
            "channel": rng.choice(CHANNELS), "subject": _(rng.choice(SUBJECTS)),
            "content": "", "priority": _weighted(rng, PRIORITIES), "received_at": received,
            "team_id": team.id}, lead)
        for ticket in request.tickets:
            _live(ticket, state, rng, lead.id)
        session.flush()
    counts = sweep(session, now=now)
    _staff(session, team, lead)
    session.commit()
    print(f"service demo data: {size:,} requests with their tickets, "
          f"{counts['warned']:,} due soon and {counts['breached']:,} breached",
          file=sys.stderr, flush=True)
    return []
