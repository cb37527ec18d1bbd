"""Rebuild the rollups set-based (each source's rows staged once, then one
``INSERT … SELECT … GROUP BY`` per dimension and measure: staging.py) and verify them
against the records; the ``crm analytics`` commands and the nightly task
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
from sqlalchemy import func, select
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

from .models import Rollup, RollupMonth
from .query import ROLLUPS_KEY, business_zone, direct_rows
from .sources import Source, all_sources
from .staging import rebuild_source, refresh_source_day


def refresh_day(session: Session, source: Source, day: str) -> None:
    """Recompute one day's rollups of a source and its month's (an event changed a record
    counting on it); nothing when no rebuild ran or the day is the cutoff's or later (read
    directly)."""
    state = (get_setting(ROLLUPS_KEY) or {}).get(source.id)
    if state is None or day >= state["cutoff"]:
        return
    refresh_source_day(session, source, day, state["cutoff"])


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
    for source_id in source_ids or list(sources):
        source = sources[source_id]
        written[source.id] = rebuild_source(session, source, cutoff)
        # what was rolled up: a measure or dimension a plugin adds later is read from the
        # records until the next rebuild
        state[source.id] = {"cutoff": cutoff, "at": now.isoformat(),
                            "measures": [m.id for m in source.measures],
                            "dimensions": [d.id for d in source.dimensions],
                            "pairs": [f"{a}|{b}" for a, b in source.pairs],
                            # the month rollups hold every month's days before the cutoff
                            "months": True}
    set_setting(session, ROLLUPS_KEY, state)
    return written


def verify(session: Session) -> list[str]:
    """Every difference between a rolled-up total and the records' total, per source,
    measure, dimension value (or pair of values) and month before the cutoff, in the day
    rollups and in the month rollups (none: an empty list)."""
    differences: list[str] = []
    state = get_setting(ROLLUPS_KEY) or {}
    with system_context("analytics verify"):
        for source in all_sources().values():
            if source.id not in state:
                differences.append(f"{source.id}: never rolled up (run crm analytics rebuild)")
                continue
            rolled = state[source.id]
            cutoff = rolled["cutoff"]
            # the month rollups hold the days before the cutoff (written by a rebuild that
            # knew them: "months")
            months_to = _day_before(cutoff) if rolled.get("months") else None
            for measure in source.measures:
                if measure.id not in rolled.get("measures", ()):
                    continue
                wanted: list[list[str]] = [[]]
                wanted += [[d.id] for d in source.dimensions
                           if d.id in rolled.get("dimensions", ())]
                wanted += [list(pair) for pair in source.pairs
                           if f"{pair[0]}|{pair[1]}" in rolled.get("pairs", ())]
                for names in wanted:
                    # the records once, up to the day before the cutoff, for both tables
                    ours = _records(session, source, measure.id, names, _day_before(cutoff))
                    if len(names) < 2:
                        differences += _compare(session, source, measure.id, Rollup, names,
                                                _day_before(cutoff), ours)
                    if months_to is not None:
                        differences += _compare(session, source, measure.id, RollupMonth,
                                                names, months_to, ours)
    return differences


def _records(session: Session, source: Source, measure_id: str, names: list[str],
             last_day: str) -> dict[tuple, tuple[int, int]]:
    """``{(month, values...): (total, n)}`` from the records up to ``last_day``."""
    records = direct_rows(session, source, source.measure(measure_id), ["month", *names],
                          {"date_to": last_day}, None, None)
    return {tuple(_text(value) for value in row[:-2]): (int(row[-2]), int(row[-1]))
            for row in records}


def _compare(session: Session, source: Source, measure_id: str, model: Any,
             names: list[str], last_day: str,
             records: dict[tuple, tuple[int, int]]) -> list[str]:
    """The differences of one rollup (day or month table, one dimension, a pair or none)
    summed per month up to ``last_day`` against the records."""
    if len(names) == 2:
        stored, values = f"{names[0]}|{names[1]}", [model.value, model.value2]
    elif names and source.scope_key(names[0]):
        stored, values = "", [getattr(model, source.scope_key(names[0]))]
    else:
        stored, values = (names[0] if names else ""), [model.value] if names else []
    rolled = session.execute(
        select(model.month, *values, func.sum(model.total), func.sum(model.n))
        .where(model.source == source.id, model.measure == measure_id,
               model.dimension == stored, model.month <= last_day[:7],
               *([model.day <= last_day] if model is Rollup else []))
        .group_by(model.month, *values))
    theirs = {tuple(_text(value) for value in row[:-2]): (int(row[-2]), int(row[-1]))
              for row in rolled}
    ours = {key: value for key, value in records.items() if key[0] <= last_day[:7]}
    table = "" if model is Rollup else " (month rollup)"
    lines = []
    for key in sorted(set(theirs) | set(ours), key=lambda k: tuple(v or "" for v in k)):
        if theirs.get(key, (0, 0)) != ours.get(key, (0, 0)):
            where = "".join(f"{name}={value} " for name, value in zip(names, key[1:],
                                                                       strict=True))
            lines.append(f"{source.id} {measure_id} {where}{key[0]}{table}: rolled up "
                         f"{theirs.get(key, (0, 0))}, records {ours.get(key, (0, 0))} "
                         "(total, count)")
    return lines


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


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
