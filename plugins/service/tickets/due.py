"""A ticket's due times: the SLA policy that applies, and its targets counted in working
minutes on the working calendar (09:00–12:00 and 13:00–18:00 Asia/Shanghai on China's
working days, ``sla.calendar``).

The most specific active policy wins: one naming the request type and the customer level,
then one naming either, then the priority's own. Without any, a ticket has no due times
(``sla_state`` ``none``).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, NamedTuple

from flask import has_app_context
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from crm_core.toolkit import get_session, model_for_table
from crm_core.toolkit import stored_time as aware
from plugins.customers.services import CUSTOMER_TABLE

from ..models import SlaPolicy
from ..models.choices import OPEN_STATES
from ..sla.calendar import WorkingCalendar
from ..sla.company import company_calendar


def working_calendar(session: Session | None = None) -> WorkingCalendar:
    """The calendar due times are counted on: China's official one with the company's days
    off and extra working days (``sla.company``: kept per unit of work and per process, so
    asking once per ticket costs no query per ticket). ``session`` defaults to the app
    context's; without an app context, the official calendar alone."""
    if session is None:
        if not has_app_context():
            return _official()
        session = get_session()
    return company_calendar(session)


@functools.cache
def _official() -> WorkingCalendar:
    return WorkingCalendar()


def customer_level(session: Session, customer_id: int) -> str:
    """The customer's level (an SLA policy may name one), read for the rules, not shown."""
    customer = model_for_table(CUSTOMER_TABLE)
    return session.scalar(select(customer.level).where(customer.id == customer_id)) or ""


def find_policy(session: Session, priority: str, request_type: str = "",
                customer_level: str = "") -> SlaPolicy | None:
    """The active policy for a ticket of ``priority``, a request of ``request_type`` and a
    customer of ``customer_level`` (most specific first), or None."""
    specific = (case((SlaPolicy.request_type == "", 0), else_=2)
                + case((SlaPolicy.customer_level == "", 0), else_=1))
    return session.scalar(
        select(SlaPolicy)
        .where(SlaPolicy.is_active.is_(True), SlaPolicy.priority == priority,
               SlaPolicy.request_type.in_(("", request_type or "")),
               SlaPolicy.customer_level.in_(("", customer_level or "")))
        .order_by(specific.desc(), SlaPolicy.id).limit(1))


#: The share of a target's working time after which the sweep warns (issue 13: 80 %).
WARN_SHARE = 0.8


class Targets(NamedTuple):
    """A ticket's due times and the moments to warn at (UTC; all None without a policy)."""

    first_response_due: dt.datetime | None = None
    resolution_due: dt.datetime | None = None
    first_response_warn_at: dt.datetime | None = None
    resolution_warn_at: dt.datetime | None = None


def targets(session: Session, start: dt.datetime, priority: str, request_type: str = "",
            customer_level: str = "") -> Targets:
    """The due and warning times of a ticket whose clocks start at ``start`` (aware)."""
    policy = find_policy(session, priority, request_type, customer_level)
    if policy is None:
        return Targets()
    calendar = working_calendar(session)
    first, resolution = policy.first_response_minutes, policy.resolution_minutes
    return Targets(calendar.add_working_minutes(start, first),
                   calendar.add_working_minutes(start, resolution),
                   calendar.add_working_minutes(start, int(first * WARN_SHARE)),
                   calendar.add_working_minutes(start, int(resolution * WARN_SHARE)))



def sla_state_now(ticket: Any, now: dt.datetime | None = None) -> str:
    """The ticket's SLA state as of ``now``: the stored one, except that an open ticket past
    a due time it has not met reads ``breached`` before the sweep has stored it. A paused
    ticket (waiting on the customer) is read as of the moment its clocks stopped."""
    stored = ticket.sla_state
    if ticket.state not in OPEN_STATES or stored in ("breached", "none"):
        return stored
    now = now or dt.datetime.now(dt.UTC)
    # waiting on the customer: the clocks stand where they stopped
    paused = aware(ticket.paused_at)
    if paused is not None:
        now = min(now, paused)
    resolution, first = aware(ticket.resolution_due), aware(ticket.first_response_due)
    if resolution is not None and now >= resolution:
        return "breached"
    if first is not None and ticket.first_responded_at is None and now >= first:
        return "breached"
    return stored


def settled_sla_state(ticket: Any, resolved_at: dt.datetime) -> str:
    """What a ticket resolved at ``resolved_at`` attained: ``met`` when resolved (and first
    answered) in time, ``missed`` otherwise, ``none`` without targets. Stored, so reports
    never recompute it. The due times have already moved by the pauses (``sla.clocks``), so
    the time spent waiting on the customer is not counted."""
    resolution, first = aware(ticket.resolution_due), aware(ticket.first_response_due)
    if resolution is None:
        return "none"
    answered = aware(ticket.first_responded_at) or resolved_at
    if resolved_at > resolution or (first is not None and answered > first):
        return "missed"
    return "met"
