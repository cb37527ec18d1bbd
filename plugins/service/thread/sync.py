"""Keeping the stored ``delivery_state`` of replies in step with the outbox.

Pages and the API read a reply's state from its outbox row (``thread.delivery``), so they
are always right; the stored column is what reports and the operation log see. A beat task
(``service.reply_delivery``, every minute, also ``crm service reply-delivery``) reads the
replies still queued or failed, by keyset through ``(delivery_state, id)``, and writes those
whose outbox row moved on, as ``system:Reply delivery`` (so "Delivery: Queued → Sent" is in
the log). A part of the service plugin: ``celery_tasks()``, ``beat_schedule()``,
``cli_commands()``.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import ScheduleEntry, TaskSpec, db, system_context

from ..models import TicketMessage
from .delivery import deliveries

BATCH = 500
#: A run reads at most this many batches (the next run goes on).
MAX_BATCHES = 20
OPEN = ("queued", "failed")


def sync_deliveries(session: Session) -> int:
    """Store the delivery state of replies whose outbox row moved on (the caller commits);
    returns how many changed."""
    changed, last = 0, 0
    with system_context("Reply delivery"):
        for _batch in range(MAX_BATCHES):
            messages = session.scalars(
                select(TicketMessage).where(TicketMessage.delivery_state.in_(OPEN),
                                            TicketMessage.outbox_message_id.is_not(None),
                                            TicketMessage.id > last)
                .order_by(TicketMessage.id).limit(BATCH)).all()
            if not messages:
                break
            found = deliveries(session, messages)
            for message in messages:
                if found[message.id].state != message.delivery_state:
                    message.delivery_state = found[message.id].state
                    changed += 1
            last = messages[-1].id
            session.flush()
    return changed


def sync_task() -> str:
    """The beat's run: sync and commit."""
    changed = sync_deliveries(db.session)
    db.session.commit()
    return f"Reply delivery: {changed} changed"


@click.command("reply-delivery")
def reply_delivery_command() -> None:
    """Store the delivery state of replies the outbox has delivered or given up on."""
    click.echo(sync_task() + ".")


def celery_tasks() -> list[TaskSpec]:
    """``service.reply_delivery``."""
    return [TaskSpec("reply_delivery", sync_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Every minute, as the outbox's own drain."""
    return [ScheduleEntry("reply_delivery", "reply_delivery", seconds=60)]


def cli_commands() -> list[Any]:
    """``crm service reply-delivery``."""
    return [reply_delivery_command]
