"""The service widgets of how well tickets were handled (a part: ``report_widgets``): SLA
attainment per month, average first-response and resolution times in working hours,
customer satisfaction (CSAT) per month and the age of the open backlog.

The monthly ones read the kept ``TicketMonthlyTotal`` and ``SurveyMonthlyTotal`` (a few rows
per month, team, agent and priority, whatever the number of tickets) limited to the rows of
the tickets the viewer may see (``aggregates/scope.py``). The backlog reads the kept
``OpenTicketTotal`` (the open tickets per day they came in), as the open-tickets and
workload widgets do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import ReportWidget, db, utcnow

from ..aggregates.scope import scoped_totals
from ..aggregates.tickets import business_zone
from ..models.aggregates import OpenTicketTotal, SurveyMonthlyTotal, TicketMonthlyTotal
from ..permissions import TICKET_VIEW

MONTHS = 12
#: Backlog age buckets: (name, label, the age in whole days a ticket in it is under).
BACKLOG_BUCKETS = (("day", _l("Under 1 day"), 1), ("days", _l("1–3 days"), 3),
                   ("week", _l("3–7 days"), 7), ("older", _l("Over 7 days"), None))


def _months(today: dt.date | None) -> list[dt.date]:
    if today is None:
        local = utcnow().astimezone(business_zone())
        today = local.date()
    index = today.year * 12 + today.month - 1
    return [dt.date((index + step) // 12, (index + step) % 12 + 1, 1)
            for step in range(1 - MONTHS, 1)]


def _labels(months: list[dt.date]) -> list[str]:
    return [month.strftime("%Y-%m") for month in months]


def _monthly(session: Session, user: Any, months: list[dt.date], *names: str,
             table: type = TicketMonthlyTotal) -> dict[dt.date, tuple[int, ...]]:
    """The sums of the counters ``names`` of ``table`` per month in ``months`` the viewer
    may see."""
    query = (select(table.month, *(func.sum(getattr(table, name)) for name in names))
             .where(table.month >= months[0], table.month <= months[-1])
             .group_by(table.month))
    found = {}
    for month, *sums in session.execute(scoped_totals(query, table, user)):
        if isinstance(month, str):  # SQLite hands a grouped date back as text
            month = dt.date.fromisoformat(month)
        found[month] = tuple(int(value or 0) for value in sums)
    return found


def sla_attainment(session: Session, user: Any, today: dt.date | None = None
                   ) -> dict[str, Any]:
    """Met ÷ (met + missed) per month in percent, the last twelve months (a month without
    resolved tickets with a target has no point). Empty when nothing was resolved."""
    months = _months(today)
    counts = _monthly(session, user, months, "met_count", "missed_count")
    if not any(met + missed for met, missed in counts.values()):
        return {"labels": [], "values": []}
    values = []
    for month in months:
        met, missed = counts.get(month, (0, 0))
        values.append(round(100 * met / (met + missed), 1) if met + missed else None)
    return {"labels": _labels(months), "values": values}


def response_times(session: Session, user: Any, today: dt.date | None = None
                   ) -> dict[str, Any]:
    """Average first-response and resolution time per month, in working hours (one
    decimal), the last twelve months. Empty when nothing was answered or resolved."""
    months = _months(today)
    sums = _monthly(session, user, months, "response_count", "response_minutes",
                    "resolution_count", "resolution_minutes")
    if not any(answered or resolved for answered, _a, resolved, _r in sums.values()):
        return {"labels": [], "series": []}

    def hours(count: int, minutes: int) -> float | None:
        return round(minutes / count / 60, 1) if count else None

    first, resolution = [], []
    for month in months:
        answered, answer_minutes, resolved, resolve_minutes = sums.get(month, (0, 0, 0, 0))
        first.append(hours(answered, answer_minutes))
        resolution.append(hours(resolved, resolve_minutes))
    return {"labels": _labels(months),
            "series": [{"name": _("First response"), "values": first},
                       {"name": _("Resolution"), "values": resolution}]}


def satisfaction(session: Session, user: Any, today: dt.date | None = None
                 ) -> dict[str, Any]:
    """CSAT per month: the share of answered surveys with 4 or 5 stars (percent), the last
    twelve months (``average_stars`` beside, for the API). Empty when no survey was
    answered."""
    months = _months(today)
    sums = _monthly(session, user, months, "answered_count", "stars_sum", "satisfied_count",
                    table=SurveyMonthlyTotal)
    if not any(answered for answered, _stars, _satisfied in sums.values()):
        return {"labels": [], "series": []}
    satisfied, stars = [], []
    for month in months:
        answered, total, happy = sums.get(month, (0, 0, 0))
        satisfied.append(round(100 * happy / answered, 1) if answered else None)
        stars.append(round(total / answered, 2) if answered else None)
    return {"labels": _labels(months),
            "series": [{"name": _("Satisfied (4–5 stars, %)"), "values": satisfied}],
            "average_stars": stars}


def backlog_age(session: Session, user: Any, today: dt.date | None = None
                ) -> dict[str, Any]:
    """The open tickets the viewer may see by how many days ago they came in (company time
    zone: today, 1–2, 3–6, 7 or more days ago), from the kept ``OpenTicketTotal``. Empty
    when nothing is open."""
    today = today or utcnow().astimezone(business_zone()).date()
    query = (select(OpenTicketTotal.created_on, func.sum(OpenTicketTotal.count))
             .group_by(OpenTicketTotal.created_on))
    counts = dict.fromkeys((name for name, _label, _days in BACKLOG_BUCKETS), 0)
    for day, count in session.execute(scoped_totals(query, OpenTicketTotal, user)):
        if isinstance(day, str):  # SQLite hands a grouped date back as text
            day = dt.date.fromisoformat(day)
        age = (today - day).days
        name = next((name for name, _label, days in BACKLOG_BUCKETS
                     if days is not None and age < days), "older")
        counts[name] += int(count or 0)
    if not any(counts.values()):
        return {"labels": [], "values": []}
    return {"labels": [str(label) for _name, label, _days in BACKLOG_BUCKETS],
            "values": [counts[name] for name, _label, _days in BACKLOG_BUCKETS]}


def report_widgets() -> list[ReportWidget]:
    """SLA attainment, response times, satisfaction and backlog age, for holders of
    ``service.ticket.view``."""
    return [
        ReportWidget(id="service.sla_attainment", title=_l("SLA attainment (%)"),
                     kind="line", data=lambda: sla_attainment(db.session, current_user),
                     permission=TICKET_VIEW, order=402,
                     caption=_l("Met ÷ (met + missed), last 12 months")),
        ReportWidget(id="service.response_times", title=_l("Response and resolution time"),
                     kind="line", data=lambda: response_times(db.session, current_user),
                     permission=TICKET_VIEW, order=403,
                     caption=_l("Average working hours, last 12 months")),
        ReportWidget(id="service.satisfaction", title=_l("Customer satisfaction (CSAT)"),
                     kind="line", data=lambda: satisfaction(db.session, current_user),
                     permission=TICKET_VIEW, order=404,
                     caption=_l("Surveys answered with 4 or 5 stars, last 12 months")),
        ReportWidget(id="service.backlog_age", title=_l("Backlog age"), kind="bar",
                     data=lambda: backlog_age(db.session, current_user),
                     permission=TICKET_VIEW, order=405,
                     caption=_l("Open tickets by time since they came in")),
    ]
