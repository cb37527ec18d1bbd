"""The A/B test on subject lines: the sample's opens or clicks per variant pick the subject
the rest of the audience gets.

The winner is picked by a button on the campaign's page (or ``POST …/send/winner``), or by
itself once ``CRM_MARKETING_AB_WAIT_HOURS`` (default 4) have passed since the send began
(the beat task ``marketing.pick_due_winners``, every 10 minutes). A tie goes to A (the
campaign's own subject). Opens and clicks are the ``opened_at`` / ``clicked_at`` stamps the
tracking part writes.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    ScheduleEntry,
    TaskSpec,
    db,
    record_event,
    start_job,
    utcnow,
)

from ..models import Campaign, CampaignMember
from .models import MailSend
from .sending import SendError, inline_limit, queue_all


def N_(message: str) -> str:
    """Mark ``message`` for translation (the jobs page translates a job's kind)."""
    return message


def variant_counts(session: Session, campaign_id: int) -> dict[str, dict[str, int]]:
    """Per variant (A, B): recipients, sent, opened and clicked."""
    rows = session.execute(
        select(CampaignMember.variant, func.count(), func.count(CampaignMember.sent_at),
               func.count(CampaignMember.opened_at), func.count(CampaignMember.clicked_at))
        .where(CampaignMember.campaign_id == campaign_id,
               CampaignMember.variant.in_(("A", "B")))
        .group_by(CampaignMember.variant)).all()
    found = {letter: {"members": 0, "sent": 0, "opened": 0, "clicked": 0} for letter in "AB"}
    for letter, members, sent, opened, clicked in rows:
        found[letter] = {"members": members, "sent": sent, "opened": opened, "clicked": clicked}
    return found


def pick_winner(session: Session, send: MailSend, user: Any = None) -> str:
    """Pick the winning subject and start queueing the rest; returns ``A`` or ``B``. The
    caller commits, then queues (``queue_rest``)."""
    if send.state != "waiting" or send.phase != "sample":
        raise SendError(None, _("There is no A/B test waiting for its winner."))
    counts = variant_counts(session, send.campaign_id)
    key = "clicked" if send.metric == "clicks" else "opened"

    def rate(letter: str) -> float:
        return counts[letter][key] / max(1, counts[letter]["sent"] or counts[letter]["members"])

    send.winner = "B" if rate("B") > rate("A") else "A"
    rest = session.scalar(select(func.count()).select_from(CampaignMember).where(
        CampaignMember.campaign_id == send.campaign_id, CampaignMember.variant == "")) or 0
    send.phase, send.state, send.last_member_id = "rest", "queuing", 0
    send.total = send.queued + rest
    send.finished_at = None
    session.flush()
    record_event("marketing_ab_winner", _("A/B winner: subject %(letter)s",
                                          letter=send.winner), model=Campaign,
                 record_id=send.campaign_id, changes={"winner": send.winner,
                                                      "counts": counts}, session=session)
    return send.winner


def queue_rest(send: MailSend, owner_id: int | None = None) -> int | None:
    """Queue what the send has to queue now: inline when small, else in a job (its id)."""
    if send.total - send.queued <= inline_limit():
        queue_all(send.campaign_id)
        return None
    job = start_job("marketing.queue_mail", kind=N_("Queue campaign e-mail"), owner_id=owner_id,
                    campaign_id=send.campaign_id)
    return job.id


def pick_due_winners() -> int:
    """Pick the winner of every A/B test whose wait is over; returns how many."""
    from sqlalchemy.orm import Session as NewSession

    picked = 0
    with NewSession(bind=db.engine, expire_on_commit=False) as session:
        due = list(session.scalars(select(MailSend).where(
            MailSend.state == "waiting", MailSend.winner_at <= utcnow()).limit(50)))
        for send in due:
            pick_winner(session, send)
            session.commit()
            queue_rest(send)
            picked += 1
    return picked


def celery_tasks() -> list[TaskSpec]:
    """The job queueing a big send and the beat task picking due A/B winners."""
    from .sending import queue_job

    return [TaskSpec("queue_mail", queue_job, job=True),
            TaskSpec("pick_due_winners", pick_due_winners)]


def beat_schedule() -> list[ScheduleEntry]:
    """Look for A/B tests whose wait is over every 10 minutes."""
    return [ScheduleEntry("pick_due_winners", "pick_due_winners",
                          seconds=600)]
