"""A contract's payment plan (回款计划): its instalments, and what has been received on each.

The instalments together may not exceed the contract amount. Payments keep each
instalment's ``received_amount`` and ``status`` (open, partial, paid): a payment naming an
instalment counts there, one naming none fills the earliest instalments still open, and
``refresh_plan`` works the whole plan out again after any payment changes, so the numbers
never drift. An instalment open or partly paid past its due date is overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Contract, Instalment, Payment
from ..money import yuan
from .services import ContractError, planned_total

NOTE_MAX = 200
OPEN = ("open", "partial")


def is_overdue(instalment: Instalment, today: dt.date | None = None) -> bool:
    """Open or partly paid and past its due date."""
    today = today or dt.date.today()
    return instalment.status in OPEN and instalment.due_date < today


def instalments_of(session: Session, contract_id: int) -> Sequence[Instalment]:
    """The contract's instalments by due date."""
    return session.scalars(select(Instalment).where(Instalment.contract_id == contract_id)
                           .order_by(Instalment.due_date, Instalment.sequence,
                                     Instalment.id)).all()


def _check(session: Session, contract: Contract, due_date: Any, amount: Any, note: Any,
           instalment_id: int | None = None) -> tuple[dt.date, int, str]:
    if contract.status in ("expired", "terminated"):
        raise ContractError(None, _("The contract has ended: its plan no longer changes."),
                            409)
    if not isinstance(due_date, dt.date):
        raise ContractError("due_date", _("Enter the due date."))
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ContractError("amount", _("Enter an amount of more than zero."))
    note = str(note or "").strip()
    if len(note) > NOTE_MAX:
        raise ContractError("note", _("At most %(n)d characters.", n=NOTE_MAX))
    others = planned_total(session, contract.id)
    if instalment_id is not None:
        others -= int(session.scalar(select(Instalment.amount)
                                     .where(Instalment.id == instalment_id)) or 0)
    if others + amount > contract.amount:
        raise ContractError("amount", _(
            "The plan would hold ¥%(total)s, more than the contract amount ¥%(amount)s: at "
            "most ¥%(left)s is left to plan.", total=yuan(others + amount),
            amount=yuan(contract.amount), left=yuan(max(contract.amount - others, 0))))
    return due_date, amount, note


def add_instalment(session: Session, contract: Contract, due_date: Any, amount: Any,
                   note: str = "") -> Instalment:
    """Add an instalment to the contract's plan (the plan's sum stays within the amount)."""
    due_date, amount, note = _check(session, contract, due_date, amount, note)
    sequence = int(session.scalar(select(func.coalesce(func.max(Instalment.sequence), 0))
                                  .where(Instalment.contract_id == contract.id)) or 0) + 1
    instalment = Instalment(contract_id=contract.id, sequence=sequence, due_date=due_date,
                            amount=amount, received_amount=0, status="open", note=note)
    session.add(instalment)
    session.flush()
    refresh_plan(session, contract.id)
    return instalment


def update_instalment(session: Session, contract: Contract, instalment: Instalment,
                      due_date: Any, amount: Any, note: str = "") -> Instalment:
    """Change an instalment's due date, amount or note."""
    due_date, amount, note = _check(session, contract, due_date, amount, note, instalment.id)
    instalment.due_date, instalment.amount, instalment.note = due_date, amount, note
    session.flush()
    refresh_plan(session, contract.id)
    return instalment


def delete_instalment(session: Session, contract: Contract, instalment: Instalment) -> None:
    """Remove an instalment; its payments stay on the contract (they fill the others)."""
    if contract.status in ("expired", "terminated"):
        raise ContractError(None, _("The contract has ended: its plan no longer changes."),
                            409)
    for payment in session.scalars(select(Payment).where(
            Payment.instalment_id == instalment.id)):
        payment.instalment_id = None
    session.delete(instalment)
    session.flush()
    refresh_plan(session, contract.id)


def _status(instalment: Instalment) -> str:
    if instalment.received_amount >= instalment.amount:
        return "paid"
    return "partial" if instalment.received_amount > 0 else "open"


def refresh_plan(session: Session, contract_id: int) -> None:
    """Work out every instalment's received amount and status from the contract's payments
    (those naming an instalment first, then the rest in due-date order)."""
    instalments = list(instalments_of(session, contract_id))
    if not instalments:
        return
    named: dict[int | None, int] = dict.fromkeys((item.id for item in instalments), 0)
    loose = 0
    for instalment_id, amount in session.execute(
            select(Payment.instalment_id, func.sum(Payment.amount))
            .where(Payment.contract_id == contract_id, Payment.deleted_at.is_(None))
            .group_by(Payment.instalment_id)):
        if instalment_id in named:
            named[instalment_id] = int(amount or 0)
        else:
            loose += int(amount or 0)
    received = {item.id: min(named[item.id], item.amount) for item in instalments}
    loose += sum(named[item.id] - received[item.id] for item in instalments)
    for item in instalments:
        room = item.amount - received[item.id]
        taken = min(room, loose)
        received[item.id] += taken
        loose -= taken
    for item in instalments:
        if item.received_amount != received[item.id]:
            item.received_amount = received[item.id]
        if item.status != (status := _status(item)):
            item.status = status
    session.flush()


def plan_summary(session: Session, contract: Contract,
                 today: dt.date | None = None) -> dict[str, Any]:
    """What the contract page shows: instalments with their overdue flag, the planned,
    received and outstanding totals, and what is left to plan."""
    instalments = instalments_of(session, contract.id)
    received = int(session.scalar(select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.contract_id == contract.id, Payment.deleted_at.is_(None))) or 0)
    planned = sum(item.amount for item in instalments)
    return {"instalments": [(item, is_overdue(item, today)) for item in instalments],
            "planned": planned, "received": received,
            "outstanding": max(contract.amount - received, 0),
            "unplanned": max(contract.amount - planned, 0),
            "overdue": sum(item.amount - item.received_amount for item in instalments
                           if is_overdue(item, today))}
