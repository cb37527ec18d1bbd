"""The company's working calendar: China's official one plus the days off and extra working
days administrators keep (``CompanyDay``, the page ``/service/days_off``).

Reading it must not cost a query per ticket: the sweep and ticket creation ask for it once
per ticket. So the calendar is kept at two levels:

- per process, keyed by a *stamp* of the table (how many rows, and when one last changed):
  an unchanged table reuses the calendar built before, with its year tables;
- per unit of work (the app context, ``flask.g``): the stamp is read once, so a request or a
  beat run costs one small aggregate query at most, whatever it counts.

A change made in this process (``forget``, called by the page's writes) drops the unit of
work's copy at once; other processes see it in their next unit of work (the stamp differs).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from flask import g, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import CompanyDay
from .calendar import WorkingCalendar

_KEPT = "service_company_calendar"  # flask.g: the calendar of this unit of work
_BY_STAMP: dict[Any, WorkingCalendar] = {}
_LOCK = threading.Lock()
#: A few calendars at most: an old stamp is of no use once the table changed.
_KEEP = 4


def _stamp(session: Session) -> tuple[str, int, Any]:
    count, changed = session.execute(
        select(func.count(CompanyDay.id), func.max(CompanyDay.updated_at))).one()
    # the database too: tests (and tools) may hold several in one process
    return str(session.get_bind().url), int(count or 0), changed


def load_calendar(session: Session) -> WorkingCalendar:
    """Build the company's calendar from its rows (one query)."""
    off: set[dt.date] = set()
    working: set[dt.date] = set()
    for day, kind in session.execute(select(CompanyDay.day, CompanyDay.kind)):
        (working if kind == "working" else off).add(day)
    return WorkingCalendar(days_off=frozenset(off), working_days=frozenset(working))


def company_calendar(session: Session) -> WorkingCalendar:
    """The calendar SLA clocks count on, kept per unit of work and per process (see the
    module docstring); ``session`` reads the company's days when they may have changed."""
    kept = g.get(_KEPT) if has_app_context() else None
    if kept is not None:
        return kept
    stamp = _stamp(session)
    calendar = _BY_STAMP.get(stamp)
    if calendar is None:
        calendar = load_calendar(session)
        with _LOCK:
            if len(_BY_STAMP) >= _KEEP:
                _BY_STAMP.clear()
            _BY_STAMP[stamp] = calendar
    if has_app_context():
        g.setdefault(_KEPT, calendar)
    return calendar


def forget() -> None:
    """Drop this unit of work's calendar (the company's days changed)."""
    if has_app_context():
        g.pop(_KEPT, None)
