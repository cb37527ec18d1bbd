"""``TicketMonthlyTotal`` and ``OpenTicketTotal`` kept as tickets change (a part: the flush
hook is installed when the app gathers the plugin's offers).

What a ticket adds depends on the ticket (state, times, stored SLA state, priority, team,
department, assignee, trash, pauses) and, for a request's first ticket, on the request's
``received_at`` (its clocks start there; a later ticket's when it was added). Every path
changes some of them (state moves, replies, edits, reassigning, the trash, the request's
receipt), so, like sales' ``ReceivableTotal``, it is kept by one ORM hook rather than by
events: before a flush the tickets it touches are noted and what they added is read from
the database; after the flush it is read again and the difference is added, in the same
transaction. The numbers are therefore exactly what ``rebuild`` computes, whatever changed.
Writes that bypass the ORM (the bulk demo) end with ``rebuild``.

A ticket adds (``contribute``):

- while open (not in the trash): one open ticket on the day it came in (its clock start),
  under its team, department, assignee, priority and state;
- when first answered: one response and its working minutes from the clock start to
  ``first_responded_at``, in the month of the answer;
- when resolved: one resolution (met or missed: the stored ``sla_state``) and its working
  minutes from the clock start to ``resolved_at`` less ``paused_minutes`` (when tickets have
  it: waiting on the customer), in the month of the resolution.

Months are those of the company's time zone (``CRM_DEFAULT_TIMEZONE``, Shanghai by default);
working minutes those of the SLA's working calendar (the company's days off included).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import inspect, literal, or_, select
from sqlalchemy.orm import Session

from crm_core.toolkit import FlushTotals, bump_total

from ..models import ServiceRequest, Ticket
from ..models.aggregates import COUNTERS, OpenTicketTotal, TicketMonthlyTotal
from ..models.choices import OPEN_STATES
from ..tickets.due import working_calendar

MONTHLY, OPEN = "monthly", "open"
#: per kind of totals key: the table, its key columns and its counters
TABLES = {MONTHLY: (TicketMonthlyTotal, ("month", "team_id", "department_id", "assignee_id",
                                         "priority"), COUNTERS),
          OPEN: (OpenTicketTotal, ("created_on", "team_id", "department_id", "assignee_id",
                                   "priority", "state"), ("count",))}
_CHUNK = 500
#: The ticket fields that decide what it adds (``paused_minutes`` when tickets have it).
FIELDS = ("state", "sla_state", "first_responded_at", "resolved_at", "priority", "team_id",
          "department_id", "assignee_id", "deleted_at", "created_at", "number", "request_id",
          "paused_minutes")

Totals = dict[tuple[Any, ...], list[int]]


def business_zone() -> ZoneInfo:
    """The zone months are counted in (the company's, not the reader's)."""
    name = current_app.config.get("CRM_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(str(name or "Asia/Shanghai"))


def aware(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC time (SQLite hands them back naive)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def month_of(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The first day of the month of ``zone`` holding ``moment``."""
    local = moment.astimezone(zone)
    return dt.date(local.year, local.month, 1)


def ticket_rows(ticket_ids: Iterable[int] | None = None) -> Any:
    """The ticket facts ``contribute`` reads, of every live open, answered or resolved
    ticket, or only of ``ticket_ids``."""
    paused = getattr(Ticket, "paused_minutes", None)
    query = (select(Ticket.team_id, Ticket.department_id, Ticket.assignee_id, Ticket.priority,
                    Ticket.sla_state, Ticket.created_at, Ticket.first_responded_at,
                    Ticket.resolved_at, Ticket.number, ServiceRequest.number,
                    ServiceRequest.received_at, paused if paused is not None else literal(0),
                    Ticket.state)
             .join(ServiceRequest, ServiceRequest.id == Ticket.request_id)
             .where(Ticket.deleted_at.is_(None),
                    or_(Ticket.state.in_(OPEN_STATES), Ticket.first_responded_at.is_not(None),
                        Ticket.resolved_at.is_not(None))))
    if ticket_ids is not None:
        query = query.where(Ticket.id.in_(sorted(ticket_ids)))
    return query


def contribute(totals: Totals, row: Any, zone: ZoneInfo, calendar: Any = None) -> None:
    """Add what one ``ticket_rows`` row counts to ``totals``: under ``(MONTHLY, month, team,
    department, assignee, priority)`` the counters in the order of ``COUNTERS``; an open
    ticket under ``(OPEN, day it came in, team, department, assignee, priority, state)``
    one in the first counter."""
    (team, department, assignee, priority, sla_state, created, answered, resolved, number,
     request_number, received, paused, state) = row
    calendar = calendar or working_calendar()
    start = received if number == f"{request_number}-1" and received is not None else created
    start = aware(start) if start is not None else None
    if state in OPEN_STATES and start is not None:
        key = (OPEN, start.astimezone(zone).date(), team, department, assignee, priority, state)
        totals[key][0] += 1
    if answered is not None:
        answered = aware(answered)
        counters = totals[(MONTHLY, month_of(answered, zone), team, department, assignee,
                           priority)]
        counters[3] += 1
        if start is not None:
            counters[4] += calendar.working_minutes_between(start, answered)
    if resolved is not None:
        resolved = aware(resolved)
        counters = totals[(MONTHLY, month_of(resolved, zone), team, department, assignee,
                           priority)]
        counters[0] += 1
        counters[1] += sla_state == "met"
        counters[2] += sla_state == "missed"
        counters[5] += 1
        if start is not None:
            minutes = calendar.working_minutes_between(start, resolved) - int(paused or 0)
            counters[6] += max(minutes, 0)


def new_totals() -> Totals:
    """An empty set of totals (missing keys read as zeros)."""
    return defaultdict(lambda: [0] * len(COUNTERS))


def _added(session: Session, ticket_ids: set[int]) -> Totals:
    totals, zone, ordered = new_totals(), business_zone(), sorted(ticket_ids)
    calendar = working_calendar(session) if ordered else None
    for start in range(0, len(ordered), _CHUNK):
        for row in session.execute(ticket_rows(ordered[start:start + _CHUNK])):
            contribute(totals, row, zone, calendar)
    return totals


def _changed(item: Any, names: Iterable[str]) -> set[str]:
    """Which of ``names`` were set on ``item`` since it was loaded or last flushed (the
    state's committed values: a dictionary look-up, not a history per attribute, so a sweep
    changing thousands of tickets pays nothing for it)."""
    return set(inspect(item).committed_state).intersection(names)


def _counts_differently(ticket: Ticket) -> bool:
    """Whether the change of a stored ticket may change what it adds. The SLA state of an
    unresolved ticket counts nowhere: the sweep's warnings and breaches cost no query."""
    changed = _changed(ticket, FIELDS)
    if ticket.resolved_at is None and "resolved_at" not in changed:
        changed.discard("sla_state")
    return bool(changed)


def _touched(session: Session) -> tuple[set[int], list[Ticket]]:
    """The ids of the stored tickets this flush may change the totals of, and the new
    tickets (no id yet: they added nothing before)."""
    ids: set[int] = set()
    new_tickets, requests = [], []
    for item in chain(session.new, session.dirty, session.deleted):
        if isinstance(item, Ticket):
            if item in session.new:
                new_tickets.append(item)
            elif item in session.deleted or _counts_differently(item):
                ids.add(item.id)
        elif isinstance(item, ServiceRequest) and item not in session.new and \
                _changed(item, ("received_at", "number")):
            requests.append(item.id)
    if requests:
        ids.update(session.scalars(select(Ticket.id).where(Ticket.request_id.in_(requests))))
    return ids, new_tickets


def _write(connection: Any, key: tuple[Any, ...], deltas: list[int]) -> None:
    table, names, counters = TABLES[key[0]]
    bump_total(connection, table.__table__, dict(zip(names, key[1:], strict=True)),
               dict(zip(counters, deltas, strict=False)))


KEEPER = FlushTotals("service.ticket_totals", touched=_touched, added=_added, write=_write)
install = KEEPER.install


install()  # a part: imported when the app gathers its offers, never at plugin discovery
