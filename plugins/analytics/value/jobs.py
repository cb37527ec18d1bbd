"""Recompute customer value: ``crm analytics value [--now [DAY]]`` and the nightly task
``analytics.value`` (a part of ``plugin.py``: ``cli_commands``, ``celery_tasks``,
``beat_schedule``)."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from typing import Any

import click

from crm_core.toolkit import ScheduleEntry, TaskSpec, db, system_context

from ..query import business_zone
from .compute import compute


def value_task() -> str:
    """The nightly run: recompute every customer's value and commit."""
    with system_context("analytics value"):
        count = compute(db.session)
    db.session.commit()
    return f"Customer value: {count} customers"


@click.command("value")
@click.option("--now", "now", default=None, is_flag=False, flag_value="", metavar="[YYYY-MM-DD]",
              help="Recompute now, in this process (also without it); with a day, count the "
                   "days since each last purchase up to that day instead of today (the "
                   "company's days), to reproduce a past state or a hand calculation.")
def value_command(now: str | None) -> None:
    """Recompute every customer's RFM segment and churn risk now (set-based SQL)."""
    moment = None
    if now:
        try:
            moment = dt.datetime.combine(dt.date.fromisoformat(now), dt.time(),
                                         zoneinfo.ZoneInfo(business_zone()))
        except ValueError:
            raise click.BadParameter("give a day as YYYY-MM-DD", param_hint="--now") from None
    started = time.perf_counter()
    with system_context("analytics value"):
        count = compute(db.session, moment)
    db.session.commit()
    click.echo(f"Customer value: {count} customers in {time.perf_counter() - started:.1f} s.")


def cli_commands() -> list[Any]:
    """``crm analytics value``."""
    return [value_command]


def celery_tasks() -> list[TaskSpec]:
    """``analytics.value``."""
    return [TaskSpec("value", value_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Every night at 03:00 (after the rollups' rebuild at 02:30)."""
    return [ScheduleEntry("value", "value", crontab="0 3 * * *")]
