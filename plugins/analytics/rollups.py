"""Rebuild the rollups set-based (one ``INSERT … SELECT`` per source, measure and dimension)
and verify them against the records; the ``crm analytics`` commands and the nightly task
(a part of ``plugin.py``: ``cli_commands``, ``celery_tasks``, ``beat_schedule``).

The rebuild empties a source's rollups and writes every day up to now; the day it ran on
becomes the *cutoff*: queries read the rollups for the days before it and the records for
the days from it on (query.py). A past day's records changed after the rebuild show after
the next one (nightly).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import click
from sqlalchemy import String, cast, delete, func, insert, literal, null, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    ScheduleEntry,
    TaskSpec,
    db,
    get_setting,
    set_setting,
    sql,
    system_context,
    utcnow,
)

from .models import Rollup
from .query import (
    ROLLUPS_KEY,
    business_zone,
    date_expressions,
    day_bounds,
    direct_rows,
    measure_columns,
)
from .sources import Source, all_sources

_COLUMNS = ("source", "measure", "dimension", "value", "day", "week", "month", "owner_id",
            "department_id", "total", "n")


def _select(source: Source, measure_id: str, dimension_id: str,
            day: str | None = None) -> Any:
    """The rows of one rollup: per day, value, owner and department (of one day only when
    ``day`` is given)."""
    measure = source.measure(measure_id)
    dates = date_expressions(source)
    value = cast(source.dimension(dimension_id).expr, String) if dimension_id else null()
    department = source.department_column if source.department_column is not None else null()
    total, n = measure_columns(measure)
    keys = [dates["day"], dates["week"], dates["month"], source.owner_column]
    if dimension_id:
        keys.append(value)
    if source.department_column is not None:
        keys.append(department)
    statement = select(literal(source.id, String()), literal(measure_id, String()),
                       literal(dimension_id, String()), value, dates["day"], dates["week"],
                       dates["month"], source.owner_column, department, total, n) \
        .select_from(source.table).where(*source.where)
    if day is not None:
        start, end = day_bounds(day)
        statement = statement.where(source.date >= start, source.date < end,
                                    dates["day"] == day)
    return statement.group_by(*keys)


def refresh_day(session: Session, source: Source, day: str) -> None:
    """Recompute one day's rollups of a source (an event changed a record counting on it);
    nothing when no rebuild ran or the day is the cutoff's or later (read directly)."""
    state = (get_setting(ROLLUPS_KEY) or {}).get(source.id)
    if state is None or day >= state["cutoff"]:
        return
    table = Rollup.__table__
    session.execute(delete(table).where(table.c.source == source.id, table.c.day == day))
    for measure in source.measures:
        for dimension_id in ("", *(d.id for d in source.dimensions)):
            session.execute(insert(table).from_select(
                list(_COLUMNS), _select(source, measure.id, dimension_id, day)))


def on_event(session: Session, event: str, **arguments: Any) -> None:
    """A plugin told of a change (``order_cancelled``, ``ticket_resolved``...): refresh the
    rollups of the day each source naming that event counts the record on."""
    for source in all_sources().values():
        name = source.events.get(event)
        if name is None or source.key is None or arguments.get(name) is None:
            continue
        moment = session.scalar(select(source.date).select_from(source.table)
                                .where(source.key == arguments[name]).limit(1))
        if moment is not None:
            refresh_day(session, source, sql.label_of("day", moment, business_zone()))


def rebuild(session: Session, source_ids: list[str] | None = None) -> dict[str, int]:
    """Recompute the rollups of the given sources (default: all); the caller commits.
    Returns the rows written per source."""
    sources = all_sources()
    written: dict[str, int] = {}
    state = dict(get_setting(ROLLUPS_KEY) or {})
    now = utcnow()
    cutoff = sql.label_of("day", now, business_zone())
    table = Rollup.__table__
    for source_id in source_ids or list(sources):
        source = sources[source_id]
        session.execute(delete(table).where(table.c.source == source.id))
        for measure in source.measures:
            for dimension_id in ("", *(d.id for d in source.dimensions)):
                session.execute(insert(table).from_select(
                    list(_COLUMNS), _select(source, measure.id, dimension_id)))
        written[source.id] = session.scalar(
            select(func.count()).select_from(table).where(table.c.source == source.id)) or 0
        # what was rolled up: a measure or dimension a plugin adds later is read from the
        # records until the next rebuild
        state[source.id] = {"cutoff": cutoff, "at": now.isoformat(),
                            "measures": [m.id for m in source.measures],
                            "dimensions": [d.id for d in source.dimensions]}
    set_setting(session, ROLLUPS_KEY, state)
    return written


def verify(session: Session) -> list[str]:
    """Every difference between a rolled-up total and the records' total, per source,
    measure, dimension value and month before the cutoff (none: an empty list)."""
    differences: list[str] = []
    state = get_setting(ROLLUPS_KEY) or {}
    with system_context("analytics verify"):
        for source in all_sources().values():
            if source.id not in state:
                differences.append(f"{source.id}: never rolled up (run crm analytics rebuild)")
                continue
            cutoff, rolled = state[source.id]["cutoff"], state[source.id]
            for measure in source.measures:
                if measure.id not in rolled.get("measures", ()):
                    continue
                for dimension_id in ("", *(d.id for d in source.dimensions
                                           if d.id in rolled.get("dimensions", ()))):
                    differences += _compare(session, source, measure.id, dimension_id, cutoff)
    return differences


def _compare(session: Session, source: Source, measure_id: str, dimension_id: str,
             cutoff: str) -> list[str]:
    dimensions = ["month", dimension_id] if dimension_id else ["month"]
    rolled = session.execute(
        select(Rollup.month, Rollup.value, func.sum(Rollup.total), func.sum(Rollup.n))
        .where(Rollup.source == source.id, Rollup.measure == measure_id,
               Rollup.dimension == dimension_id, Rollup.day < cutoff)
        .group_by(Rollup.month, Rollup.value))
    theirs = {(month, value): (int(total), int(n)) for month, value, total, n in rolled}
    measure = source.measure(measure_id)
    records = direct_rows(session, source, measure, dimensions, {"date_to": _day_before(cutoff)},
                      None, None)
    ours = {(row[0], None if not dimension_id or row[1] is None else str(row[1])):
            (int(row[-2]), int(row[-1])) for row in records}
    lines = []
    for key in sorted(set(theirs) | set(ours), key=lambda k: (k[0] or "", k[1] or "")):
        if theirs.get(key, (0, 0)) != ours.get(key, (0, 0)):
            where = f"{dimension_id}={key[1]} " if dimension_id else ""
            lines.append(f"{source.id} {measure_id} {where}{key[0]}: rolled up "
                         f"{theirs.get(key, (0, 0))}, records {ours.get(key, (0, 0))} "
                         "(total, count)")
    return lines


def _day_before(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()


def rebuild_task() -> str:
    """The nightly run: rebuild every source's rollups and commit."""
    written = rebuild(db.session)
    db.session.commit()
    return "Analytics rollups: " + ", ".join(f"{key} {count} rows" for key, count in
                                             written.items())


@click.command("rebuild")
@click.option("--source", "source_ids", multiple=True, help="Only this source (repeatable).")
def rebuild_command(source_ids: tuple[str, ...]) -> None:
    """Recompute the rollups from the records (set-based: one INSERT … SELECT each)."""
    unknown = sorted(set(source_ids) - set(all_sources()))
    if unknown:
        raise click.BadParameter(f"unknown source(s): {', '.join(unknown)}",
                                 param_hint="--source")
    started = time.perf_counter()
    written = rebuild(db.session, list(source_ids) or None)
    db.session.commit()
    for key, count in written.items():
        click.echo(f"{key}: {count} rollup rows")
    click.echo(f"Rebuilt in {time.perf_counter() - started:.1f} s.")


@click.command("verify")
def verify_command() -> None:
    """Compare every rolled-up total with the records' total; exit 1 naming each
    difference."""
    differences = verify(db.session)
    for line in differences:
        click.echo(line, err=True)
    if differences:
        raise SystemExit(1)
    click.echo("The rollups match the records.")


def cli_commands() -> list[Any]:
    """``crm analytics rebuild`` and ``crm analytics verify``."""
    return [rebuild_command, verify_command]


def celery_tasks() -> list[TaskSpec]:
    """``analytics.rebuild``."""
    return [TaskSpec("rebuild", rebuild_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Every night at 02:30."""
    return [ScheduleEntry("rebuild", "rebuild", crontab="30 2 * * *")]
