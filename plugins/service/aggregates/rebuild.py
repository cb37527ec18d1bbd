"""``rebuild(session)``: the service aggregates recomputed from the tickets, and the
``crm service rebuild-aggregates`` command (a part: ``cli_commands``).

Working minutes come from the working calendar (China's working days, holidays and 调休),
which SQL cannot count, so unlike sales' set-based rebuild the tickets are streamed once
through the same ``contribute`` the flush hook uses (only the few columns it needs, in
batches) and summed in memory: a few thousand rows out, whatever the number of tickets. Used
by the bulk demo and the benchmark after their loads, by existing installs (the migration
leaves the table empty), and to repair the numbers after writes that bypass the ORM.
"""

from __future__ import annotations

import time
from typing import Any

import click
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from crm_core.toolkit import db

from ..models.aggregates import SURVEY_COUNTERS, SurveyMonthlyTotal
from ..tickets.due import working_calendar
from . import surveys
from .tickets import TABLES, business_zone, contribute, new_totals, ticket_rows

_BATCH = 20_000


def rebuild(session: Session) -> dict[str, int]:
    """Recompute ``TicketMonthlyTotal`` and ``OpenTicketTotal`` from the tickets and
    ``SurveyMonthlyTotal`` from the answered surveys (the caller commits); returns the rows
    written per table and the tickets read."""
    session.flush()
    totals, zone, read = new_totals(), business_zone(), 0
    calendar = working_calendar(session)
    rows = session.execute(ticket_rows().execution_options(yield_per=_BATCH))
    for row in rows:
        contribute(totals, row, zone, calendar)
        read += 1
    written = {}
    for kind, (model, keys, counters) in TABLES.items():
        written[model.__tablename__] = _replace(
            session, model, counters, {key[1:]: sums for key, sums in totals.items()
                                       if key[0] == kind}, keys)
    answers = surveys.new_totals()
    for row in session.execute(surveys.survey_rows().execution_options(yield_per=_BATCH)):
        surveys.contribute(answers, row, zone)
    survey_written = _replace(session, SurveyMonthlyTotal, SURVEY_COUNTERS, answers,
                              ("month", "team_id", "department_id", "agent_id"))
    return {**written, "service_survey_monthly_total": survey_written, "tickets_read": read}


def _replace(session: Session, model: type, counters: tuple[str, ...],
             totals: dict[Any, list[int]], keys: tuple[str, ...]) -> int:
    """Empty ``model``'s table and write ``totals`` into it; the rows it holds."""
    table = model.__table__
    session.execute(delete(table))
    values = [{**dict(zip(keys, key, strict=True)), **dict(zip(counters, sums, strict=False))}
              for key, sums in totals.items()]
    for start in range(0, len(values), 1000):
        session.execute(insert(table), values[start:start + 1000])
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


@click.command("rebuild-aggregates")
def rebuild_aggregates() -> None:
    """Recompute the service aggregates (open tickets, SLA attainment, response and
    resolution times, satisfaction per month) from the tickets and surveys."""
    started = time.perf_counter()
    written = rebuild(db.session)
    db.session.commit()
    click.echo(f"Service aggregates rebuilt in {time.perf_counter() - started:.1f} s: "
               + ", ".join(f"{name} {count}" for name, count in written.items()) + ".")


def cli_commands() -> list[Any]:
    """``crm service rebuild-aggregates``."""
    return [rebuild_aggregates]
