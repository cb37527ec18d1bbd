"""The SLA sweep (a part: ``celery_tasks()``, ``beat_schedule()``, ``notification_kinds()``,
``cli_commands()``): every five minutes, open tickets whose warning moment has passed (80 %
of a target's working time, stored with the due times) become ``warning`` and their
assignee (else the team lead) is told; tickets past a due time they have not met become
``breached`` — the ticket's flag, shown in the lists and on the page — and the team lead is
told (the escalation), the assignee too. Each ticket moves once: a warned ticket is not
warned again, a breached one stays breached until it is resolved (then ``missed``). When
one sweep moves more than three tickets of one person, they get one summary linking to the
list of such tickets instead of one notification each; each is written in its reader's
language (lazy strings: the beat has no request to take a language from).

The candidates are the open, not yet breached tickets with a passed warning or due moment,
whose clocks run (not waiting on the customer: ``sla.clocks``), read in batches by id; only
those whose state changes are written (ORM writes, in the operation log as ``system:SLA
sweep``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from typing import Any

import click
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    NotificationKind,
    ScheduleEntry,
    TaskSpec,
    db,
    notify,
    system_context,
)

from ..models import Team, Ticket
from ..models.choices import OPEN_STATES
from .due import aware

WARNING_KIND = "service.sla_warning"
BREACH_KIND = "service.sla_breach"
BATCH = 500


def _candidates(now: dt.datetime) -> Any:
    unanswered = Ticket.first_responded_at.is_(None)
    return select(Ticket).where(
        Ticket.deleted_at.is_(None), Ticket.state.in_(OPEN_STATES),
        Ticket.sla_state.in_(("ok", "warning")),
        Ticket.paused_at.is_(None),  # waiting on the customer: its clocks stand still
        or_(Ticket.resolution_warn_at <= now, Ticket.resolution_due <= now,
            and_(unanswered, or_(Ticket.first_response_warn_at <= now,
                                 Ticket.first_response_due <= now)))).order_by(Ticket.id)


def _passed(moment: dt.datetime | None, now: dt.datetime) -> bool:
    return moment is not None and aware(moment) <= now


def verdict(ticket: Ticket, now: dt.datetime) -> str:
    """The SLA state ``ticket`` has reached at ``now``: ``breached`` past a due time it has
    not met, ``warning`` past a warning moment, else its stored state."""
    unanswered = ticket.first_responded_at is None
    if _passed(ticket.resolution_due, now) or (unanswered and _passed(
            ticket.first_response_due, now)):
        return "breached"
    if _passed(ticket.resolution_warn_at, now) or (unanswered and _passed(
            ticket.first_response_warn_at, now)):
        return "warning"
    return ticket.sla_state


#: More tickets than this for one person in one sweep make one summary notification.
SUMMARY_OVER = 3


def _recipients(ticket: Ticket, state: str, leads: dict[int, int | None]) -> set[int]:
    lead = leads.get(ticket.team_id) if ticket.team_id is not None else None
    if state == "warning":
        return {ticket.assignee_id or lead} - {None}
    return {lead, ticket.assignee_id} - {None}


def _tell_one(session: Session, ticket: Ticket, state: str, user_ids: list[int]) -> None:
    link = f"/service/tickets/{ticket.id}"
    if state == "warning":
        notify(user_ids, WARNING_KIND,
               _l("Ticket %(number)s is due soon", number=ticket.number),
               _l("%(subject)s: 80 %% of its service-level time has passed.",
                  subject=ticket.subject), link, session=session)
    else:
        notify(user_ids, BREACH_KIND,
               _l("Ticket %(number)s breached its service level", number=ticket.number),
               _l("%(subject)s is past its due time and has been escalated to the team "
                  "lead.", subject=ticket.subject), link, session=session)


def _tell(session: Session, moved: dict[tuple[int, str], list[Ticket]]) -> None:
    """One notification per ticket, or one summary per person and kind when a sweep moved
    more than ``SUMMARY_OVER`` of their tickets (a backlog must not bury them)."""
    for (user_id, state), tickets in sorted(moved.items()):
        if len(tickets) <= SUMMARY_OVER:
            for ticket in tickets:
                _tell_one(session, ticket, state, [user_id])
        elif state == "warning":
            notify([user_id], WARNING_KIND,
                   _l("%(count)d tickets are due soon", count=len(tickets)),
                   ", ".join(ticket.number for ticket in tickets[:20]),
                   "/service/tickets?sla_state=warning", session=session)
        else:
            notify([user_id], BREACH_KIND,
                   _l("%(count)d tickets breached their service level",
                      count=len(tickets)),
                   ", ".join(ticket.number for ticket in tickets[:20]),
                   "/service/tickets?sla_state=breached", session=session)


def sweep(session: Session, now: dt.datetime | None = None) -> dict[str, int]:
    """Warn and escalate what is due (the caller commits); returns how many tickets were
    looked at, warned and breached."""
    now = now or dt.datetime.now(dt.UTC)
    counts = {"looked_at": 0, "warned": 0, "breached": 0}
    leads = dict(session.execute(select(Team.id, Team.lead_id)).all())
    moved: dict[tuple[int, str], list[Ticket]] = defaultdict(list)
    last = 0
    with system_context("SLA sweep"):
        while True:
            tickets = session.scalars(_candidates(now).where(Ticket.id > last)
                                      .limit(BATCH)).all()
            if not tickets:
                break
            for ticket in tickets:
                counts["looked_at"] += 1
                state = verdict(ticket, now)
                if state != ticket.sla_state:
                    ticket.sla_state = state
                    counts["warned" if state == "warning" else "breached"] += 1
                    for user_id in _recipients(ticket, state, leads):
                        moved[(user_id, state)].append(ticket)
            last = tickets[-1].id
            session.flush()
        _tell(session, moved)
    return counts


def sweep_task() -> str:
    """The beat's run: sweep and commit."""
    counts = sweep(db.session)
    db.session.commit()
    return (f"SLA sweep: {counts['looked_at']} looked at, {counts['warned']} warned, "
            f"{counts['breached']} breached")


@click.command("sla-sweep")
def sla_sweep_command() -> None:
    """Warn about tickets near their due times and escalate breached ones, now."""
    started = time.perf_counter()
    click.echo(sweep_task() + f" in {time.perf_counter() - started:.1f} s.")


def celery_tasks() -> list[TaskSpec]:
    """``service.sla_sweep``."""
    return [TaskSpec("sla_sweep", sweep_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Every five minutes."""
    return [ScheduleEntry("sla_sweep", "sla_sweep", seconds=300)]


def notification_kinds() -> list[NotificationKind]:
    """The warning and the escalation."""
    return [NotificationKind(WARNING_KIND, _l("Ticket due soon"),
                             description=_l("A ticket you work on is close to its due "
                                            "time.")),
            NotificationKind(BREACH_KIND, _l("Ticket past its service level"),
                             description=_l("A ticket of your team missed a due time and "
                                            "was escalated."))]


def cli_commands() -> list[Any]:
    """``crm service sla-sweep``."""
    return [sla_sweep_command]
