"""Re-counting open tickets when the company's calendar changes.

An administrator who adds a day off (公司年会 next Friday) expects the tickets open now not to
breach on a day nobody works; one who removes it expects them due earlier again. So a change
keeps each open ticket's *remaining* working time and moves its moments to where that time
now ends: for every due and warning moment still ahead of the clocks (now, or the moment the
clocks stopped for a ticket waiting on the customer),

    new moment = new calendar.add(ref, old calendar.working time(ref, old moment)).

The working time already spent is never re-counted; moments already passed stay (a breach
stays a breach). Only tickets with a moment on or after the changed date are read (open
ones, by the ``(state, id)`` index, in keyset batches) and only changed moments written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm_core.toolkit import stored_time, utcnow

from ..models import Ticket
from ..models.choices import OPEN_STATES
from .calendar import WorkingCalendar

BATCH = 500
MOMENTS = ("first_response_due", "resolution_due", "first_response_warn_at",
           "resolution_warn_at")


def _day_start(calendar: WorkingCalendar, day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time()).replace(tzinfo=ZoneInfo(calendar.timezone))
    return local.astimezone(dt.UTC)


def moved(ticket: Any, old: WorkingCalendar, new: WorkingCalendar,
          now: dt.datetime) -> dict[str, dt.datetime]:
    """The moments of ``ticket`` that move when ``old`` becomes ``new`` (name → new time)."""
    ref = stored_time(ticket.paused_at) or now
    changes = {}
    for name in MOMENTS:
        moment = stored_time(getattr(ticket, name))
        if moment is None or moment <= ref:
            continue
        again = new.add_working_time(ref, old.working_time_between(ref, moment))
        if again != moment:
            changes[name] = again
    return changes


def recount_open_tickets(session: Session, old: WorkingCalendar, new: WorkingCalendar,
                         days: Iterable[dt.date], now: dt.datetime | None = None) -> int:
    """Move the open tickets' moments from ``old`` to ``new`` (``days`` are the dates that
    changed); returns how many tickets changed. Flushes; the caller commits."""
    if old == new:
        return 0
    now = now or utcnow()
    days = sorted(days)
    since = _day_start(new, days[0])
    found = select(Ticket).where(Ticket.state.in_(OPEN_STATES), Ticket.deleted_at.is_(None),
                                 or_(*(getattr(Ticket, name) >= since for name in MOMENTS)))
    if _day_start(new, days[-1] + dt.timedelta(days=1)) <= now:
        # a date already past changes only what clocks stopped before it still have to run
        found = found.where(Ticket.paused_at.is_not(None))
    changed, last = 0, 0
    while True:
        tickets = session.scalars(found.where(Ticket.id > last).order_by(Ticket.id)
                                  .limit(BATCH)).all()
        if not tickets:
            break
        for ticket in tickets:
            changes = moved(ticket, old, new, now)
            for name, value in changes.items():
                setattr(ticket, name, value)
            changed += bool(changes)
        last = tickets[-1].id
        session.flush()
    return changed
