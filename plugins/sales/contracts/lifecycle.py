"""The daily work on contracts: active ones past their end date become expired, and the
owner of one ending within N days (setting ``sales.renewal_days``, default 30) is reminded
once (``renewal_notified_at``) through the kernel's notifications.

A part of the sales plugin: ``celery_tasks()``, ``beat_schedule()``,
``notification_kinds()``.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    NotificationKind,
    ScheduleEntry,
    TaskSpec,
    db,
    notify,
    system_context,
    utcnow,
)

from ..models import Contract
from ..money import yuan
from ..settings import values as settings

RENEWAL_KIND = "sales.contract_renewal"
BATCH = 500


def expire_ended_contracts(session: Session, today: dt.date | None = None) -> int:
    """Mark active contracts whose end date has passed as expired; returns how many."""
    today = today or dt.date.today()
    count = 0
    with system_context("contract expiry"):
        for contract in session.scalars(select(Contract).where(
                Contract.status == "active", Contract.end_date < today,
                Contract.deleted_at.is_(None)).limit(BATCH * 20)):
            contract.status = "expired"
            count += 1
        session.flush()
    return count


def send_renewal_reminders(session: Session, today: dt.date | None = None) -> int:
    """Notify the owner of each active contract ending within ``sales.renewal_days`` days
    that was not reminded yet; returns how many were reminded."""
    today = today or dt.date.today()
    horizon = today + dt.timedelta(days=settings.renewal_days())
    count = 0
    with system_context("contract renewal reminders"):
        for contract in session.scalars(select(Contract).where(
                Contract.status == "active", Contract.end_date >= today,
                Contract.end_date <= horizon, Contract.renewal_notified_at.is_(None),
                Contract.deleted_at.is_(None)).order_by(Contract.end_date, Contract.id)
                .limit(BATCH * 20)):
            if contract.owner_id is not None:
                days = (contract.end_date - today).days
                # lazy: written in the owner's language (the beat has no reader)
                notify([contract.owner_id], RENEWAL_KIND,
                       _l("Contract %(number)s ends in %(days)d days", number=contract.number,
                          days=days),
                       _l("%(title)s (¥%(amount)s) ends on %(end)s: time to talk about its "
                          "renewal.", title=contract.title, amount=yuan(contract.amount),
                          end=contract.end_date.isoformat()),
                       f"/sales/contracts/{contract.id}", session=session)
            contract.renewal_notified_at = utcnow()
            count += 1
        session.flush()
    return count


def daily_contracts_task() -> str:
    """The daily run: expire ended contracts, then send renewal reminders."""
    session = db.session
    expired = expire_ended_contracts(session)
    reminded = send_renewal_reminders(session)
    session.commit()
    return f"{expired} contracts expired, {reminded} renewal reminders sent"


def celery_tasks() -> list[TaskSpec]:
    """``sales.contracts_daily``."""
    return [TaskSpec("contracts_daily", daily_contracts_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Every day at 06:10 (expiry and renewal reminders)."""
    return [ScheduleEntry("contracts_daily", "contracts_daily", crontab="10 6 * * *")]


def notification_kinds() -> list[NotificationKind]:
    """The renewal reminder."""
    return [NotificationKind(RENEWAL_KIND, _l("Contract up for renewal"),
                             description=_l("A contract you own ends soon."))]
