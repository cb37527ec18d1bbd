"""A ticket's SLA clocks stop and start with its state.

- **Waiting on the customer**: moving there stops the clocks (``paused_at``). Leaving it (back
  to in progress, or resolved) adds the working time spent waiting: each due time and warning
  moment (``first_response_warn_at``, ``resolution_warn_at``) moves later by the paused
  *working* minutes, counted on the company's calendar (holidays and company days off count
  nothing), and ``paused_minutes`` adds them up. While paused the sweep leaves the ticket
  alone and pages read its SLA state as of the moment the clocks stopped.
- **Resolved, then reopened**: the time spent resolved is a pause too, so a ticket resolved
  in time and reopened three days later is not breached on the spot.
- A moment that had already passed when the clocks stopped stays where it is (that target
  was missed before the pause; a pause cannot mend it). The first-response moments move only
  when the first response had not been given before the pause.
- **Reopen window**: a resolved ticket may be reopened within ``service.reopen_days`` days
  (default 7) of being resolved; later the move is refused ("enter a new request"), and the
  daily beat closes it (``sla.closing``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import ngettext
from sqlalchemy.orm import Session

from crm_core.toolkit import get_setting, stored_time

from ..tickets.due import working_calendar

REOPEN_SETTING = "service.reopen_days"
REOPEN_DEFAULT = 7
REOPEN_MAX = 365
#: (due time, its warning moment) pairs that move together; the first response's only while
#: the customer has not been answered
_FIRST = ("first_response_due", "first_response_warn_at")
_RESOLUTION = ("resolution_due", "resolution_warn_at")


def reopen_days() -> int:
    """Days after resolving in which a ticket may be reopened (``service.reopen_days``; the
    default when unset or not a whole number from 1 to 365)."""
    value = get_setting(REOPEN_SETTING, REOPEN_DEFAULT)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= REOPEN_MAX:
        return REOPEN_DEFAULT
    return value


def refuse_late_reopen(ticket: Any, now: dt.datetime) -> None:
    """Raise ``TicketError`` on ``state`` when ``ticket`` was resolved more than the reopen
    window ago."""
    from ..tickets.services import TicketError  # tickets.services may use these clocks

    resolved = stored_time(ticket.resolved_at)
    days = reopen_days()
    if resolved is not None and now - resolved > dt.timedelta(days=days):
        raise TicketError("state", ngettext(
            "Resolved more than %(num)d day ago: enter a new request.",
            "Resolved more than %(num)d days ago: enter a new request.", days))


def reopen_window(ticket: Any, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """For a resolved ticket: until when it may be reopened (``until``, UTC), whether it
    still may (``open``) and the window's ``days``; None for a ticket not resolved."""
    resolved = stored_time(ticket.resolved_at)
    if ticket.state != "resolved" or resolved is None:
        return None
    days = reopen_days()
    until = resolved + dt.timedelta(days=days)
    return {"until": until, "open": (now or dt.datetime.now(dt.UTC)) <= until, "days": days}


def shift(session: Session, ticket: Any, stopped_at: dt.datetime, now: dt.datetime) -> int:
    """Restart the clocks stopped at ``stopped_at``: move the due and warning moments still
    ahead at ``stopped_at`` later by the working time of ``[stopped_at, now)`` (exactly) and
    add its whole minutes to ``paused_minutes``; returns them."""
    calendar = working_calendar(session)
    waited = calendar.working_time_between(stopped_at, now)
    minutes = waited // dt.timedelta(minutes=1)
    ticket.paused_minutes = (ticket.paused_minutes or 0) + minutes
    if not waited:
        return 0
    answered = stored_time(ticket.first_responded_at)
    names = _RESOLUTION if answered is not None and answered <= stopped_at \
        else _FIRST + _RESOLUTION
    for name in names:
        moment = stored_time(getattr(ticket, name))
        if moment is not None and moment > stopped_at:
            setattr(ticket, name, calendar.add_working_time(moment, waited))
    return minutes


def reapply_pauses(session: Session, ticket: Any) -> None:
    """After due times were computed afresh from the clock start (a new priority): move them
    by the working minutes of the pauses that ended (``paused_minutes``); the first
    response's only while the customer has not been answered."""
    minutes = ticket.paused_minutes or 0
    if not minutes:
        return
    calendar = working_calendar(session)
    names = _RESOLUTION if ticket.first_responded_at is not None else _FIRST + _RESOLUTION
    for name in names:
        moment = stored_time(getattr(ticket, name))
        if moment is not None:
            setattr(ticket, name, calendar.add_working_minutes(moment, minutes))


def follow_move(session: Session, ticket: Any, state: str, now: dt.datetime) -> None:
    """Stop or restart ``ticket``'s clocks for its move to ``state`` (before the move is
    stored, so resolving counts the pause); refuses a reopen past the window."""
    if ticket.state == "resolved" and state == "in_progress":
        refuse_late_reopen(ticket, now)
        resolved = stored_time(ticket.resolved_at)
        if resolved is not None:
            shift(session, ticket, resolved, now)
        return
    if state == "waiting_on_customer":
        if ticket.paused_at is None:
            ticket.paused_at = now
        return
    paused = stored_time(ticket.paused_at)
    if paused is not None:
        shift(session, ticket, paused, now)
        ticket.paused_at = None
