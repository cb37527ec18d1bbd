"""Closing resolved tickets (a part: ``celery_tasks()``, ``beat_schedule()``,
``cli_commands()``): once a day, the tickets resolved more than ``service.reopen_days`` days
ago (default 7) become ``closed``, so the reopen window and the ticket's state agree. A
closed ticket is final. Read by keyset batches through the ``(state, id)`` index; written as
ORM writes, in the operation log as ``system:Auto close``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import ScheduleEntry, TaskSpec, db, system_context

from ..models import Ticket
from .clocks import reopen_days

BATCH = 500


def auto_close(session: Session, now: dt.datetime | None = None) -> int:
    """Close the tickets resolved more than the reopen window ago (the caller commits);
    returns how many."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=reopen_days())
    closed, last = 0, 0
    with system_context("Auto close"):
        while True:
            tickets = session.scalars(
                select(Ticket).where(Ticket.state == "resolved", Ticket.id > last,
                                     Ticket.deleted_at.is_(None),
                                     Ticket.resolved_at <= cutoff)
                .order_by(Ticket.id).limit(BATCH)).all()
            if not tickets:
                break
            for ticket in tickets:
                ticket.state, ticket.closed_at = "closed", now
            closed += len(tickets)
            last = tickets[-1].id
            session.flush()
    return closed


def auto_close_task() -> str:
    """The beat's run: close and commit."""
    closed = auto_close(db.session)
    db.session.commit()
    return f"Auto close: {closed} resolved tickets closed"


@click.command("auto-close")
def auto_close_command() -> None:
    """Close the tickets resolved longer ago than the reopen window, now."""
    click.echo(auto_close_task() + ".")


def celery_tasks() -> list[TaskSpec]:
    """``service.auto_close``."""
    return [TaskSpec("auto_close", auto_close_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Daily, at 02:15 (the beat's time zone)."""
    return [ScheduleEntry("auto_close", "auto_close", crontab="15 2 * * *")]


def cli_commands() -> list[Any]:
    """``crm service auto-close``."""
    return [auto_close_command]
