"""The beat task that reminds approvers of requests waiting longer than
``CRM_APPROVAL_REMIND_HOURS`` (default 24; 0 turns reminders off), at most once per that
interval per step. It also closes approvals whose record was deleted meanwhile."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import or_, select

from ..audit.context import acting_as
from ..db import get_session, utcnow
from . import events
from .models import Approval, ApprovalStep
from .service import approval_voters, close_if_subject_gone

BATCH = 500


def remind_hours() -> float:
    """The reminder interval in hours (0: no reminders)."""
    try:
        return max(0.0, float(current_app.config.get("CRM_APPROVAL_REMIND_HOURS", 24)))
    except (TypeError, ValueError):
        return 24.0


def send_reminders(now: dt.datetime | None = None) -> int:
    """Remind the approvers of every step open longer than the interval and not reminded
    within it; returns how many steps were reminded."""
    hours = remind_hours()
    if not hours:
        return 0
    now = now or utcnow()
    due = now - dt.timedelta(hours=hours)
    session = get_session()
    reminded = 0
    with acting_as(None, "system"):
        rows = session.execute(
            select(ApprovalStep, Approval).join(Approval, Approval.id == ApprovalStep.approval_id)
            .where(ApprovalStep.status == "open", Approval.status == "pending",
                   Approval.provider.is_(None), ApprovalStep.opened_at <= due,
                   or_(ApprovalStep.reminded_at.is_(None), ApprovalStep.reminded_at <= due))
            .order_by(ApprovalStep.id).limit(BATCH)).all()
        for step, approval in rows:
            if close_if_subject_gone(session, approval):
                continue
            waiting = approval_voters(session, step.id, undecided=True)
            title, body = events.texts(events.KIND_REMINDER, approval.title)
            events.notify(session, waiting, events.KIND_REMINDER, title, body,
                          events.approval_link(approval.id))
            step.reminded_at = now
            reminded += 1
        session.commit()
    return reminded
