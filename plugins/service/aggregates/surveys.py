"""``SurveyMonthlyTotal`` kept as satisfaction surveys are answered (a part: the flush hook
is installed when the app gathers the plugin's offers).

An answered survey (``answered_at`` and ``stars`` set) adds one answer, its stars and, with
4 or 5 stars, one satisfied customer (CSAT = satisfied ÷ answered) to the month of its
answer (company time zone) under the team, department and agent the ticket had when it was
resolved (the survey's own columns). As for the tickets, the hook reads what the surveys a
flush touches added before it and after it and adds the difference, so the kept numbers are
what ``rebuild`` computes. A survey answered counts even if its ticket later goes to the
trash: the customer did say it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from crm_core.toolkit import FlushTotals, bump_total

from ..models import Survey
from ..models.aggregates import SURVEY_COUNTERS, SurveyMonthlyTotal
from .tickets import aware, business_zone, month_of

_CHUNK = 500
FIELDS = ("answered_at", "stars", "team_id", "department_id", "agent_id")

Totals = dict[tuple[Any, ...], list[int]]


def survey_rows(survey_ids: Iterable[int] | None = None) -> Any:
    """The answered surveys' facts ``contribute`` reads (of all, or of ``survey_ids``)."""
    query = (select(Survey.team_id, Survey.department_id, Survey.agent_id, Survey.answered_at,
                    Survey.stars)
             .where(Survey.answered_at.is_not(None), Survey.stars.is_not(None)))
    if survey_ids is not None:
        query = query.where(Survey.id.in_(sorted(survey_ids)))
    return query


def new_totals() -> Totals:
    """An empty set of totals (missing keys read as zeros)."""
    return defaultdict(lambda: [0] * len(SURVEY_COUNTERS))


def contribute(totals: Totals, row: Any, zone: ZoneInfo) -> None:
    """Add one ``survey_rows`` row to ``totals``."""
    team, department, agent, answered, stars = row
    counters = totals[(month_of(aware(answered), zone), team, department, agent)]
    counters[0] += 1
    counters[1] += int(stars)
    counters[2] += int(stars) >= 4


def _added(session: Session, survey_ids: set[int]) -> Totals:
    totals, zone, ordered = new_totals(), business_zone(), sorted(survey_ids)
    for start in range(0, len(ordered), _CHUNK):
        for row in session.execute(survey_rows(ordered[start:start + _CHUNK])):
            contribute(totals, row, zone)
    return totals


def _touched(session: Session) -> tuple[set[int], list[Survey]]:
    ids: set[int] = set()
    new_surveys = []
    for item in chain(session.new, session.dirty, session.deleted):
        if not isinstance(item, Survey):
            continue
        if item in session.new:
            new_surveys.append(item)
        elif item in session.deleted or set(inspect(item).committed_state) & set(FIELDS):
            ids.add(item.id)
    return ids, new_surveys


def _write(connection: Any, key: tuple[Any, ...], deltas: list[int]) -> None:
    month, team, department, agent = key
    bump_total(connection, SurveyMonthlyTotal.__table__,
               {"month": month, "team_id": team, "department_id": department,
                "agent_id": agent}, dict(zip(SURVEY_COUNTERS, deltas, strict=True)))


KEEPER = FlushTotals("service.survey_totals", touched=_touched, added=_added, write=_write)
install = KEEPER.install


install()  # a part: imported when the app gathers its offers, never at plugin discovery
