"""Payments received (回款): recorded against a contract (and an instalment of its plan).

A payment larger than what is outstanding (on the instalment when one is named, else on
the contract) is refused with an error naming ``amount`` unless the caller confirms the
overpayment. Owner and department come from the contract, so a payment is seen by whoever
sees its contract. Recording one fires ``payment_received``; every change works the plan's
received amounts out again (``contracts.plan.refresh_plan``). Services flush, the caller
commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import emit, scoped, utcnow

from ..contracts.plan import refresh_plan
from ..contracts.services import ContractError
from ..models import Contract, Instalment, Payment
from ..models.contract import PAYMENT_METHODS
from ..money import yuan

PAYABLE = ("active", "expired", "terminated")
TEXT_LIMITS = {"reference": 100, "note": 500}


class Overpayment(ContractError):
    """The payment is more than what is outstanding; confirm it to record it anyway."""


def received_total(session: Session, contract_id: int, instalment_id: int | None = None,
                   exclude: int | None = None) -> int:
    """What was received on the contract (or on one instalment), in fen."""
    query = select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.contract_id == contract_id, Payment.deleted_at.is_(None))
    if instalment_id is not None:
        query = query.where(Payment.instalment_id == instalment_id)
    if exclude is not None:
        query = query.where(Payment.id != exclude)
    return int(session.scalar(query) or 0)


def outstanding(session: Session, contract: Contract, instalment: Instalment | None = None,
                exclude: int | None = None) -> int:
    """What is still to be received on the instalment, else on the contract (never < 0)."""
    if instalment is not None:
        return max(instalment.amount - received_total(session, contract.id, instalment.id,
                                                      exclude), 0)
    return max(contract.amount - received_total(session, contract.id, exclude=exclude), 0)


def _contract(session: Session, contract_id: Any, user: Any) -> Contract:
    contract = session.scalar(scoped(select(Contract).where(
        Contract.id == contract_id, Contract.deleted_at.is_(None)), Contract, user))
    if contract is None:
        raise ContractError("contract_id", _("Not a valid choice."))
    if contract.status not in PAYABLE:
        raise ContractError("contract_id", _("Payments are recorded once the contract is "
                                             "active."))
    return contract


def _instalment(session: Session, contract: Contract, instalment_id: Any) -> Instalment | None:
    if instalment_id is None:
        return None
    instalment = session.scalar(select(Instalment).where(
        Instalment.id == instalment_id, Instalment.contract_id == contract.id))
    if instalment is None:
        raise ContractError("instalment_id", _("Choose an instalment of this contract."))
    return instalment


def _check(session: Session, contract: Contract, instalment: Instalment | None,
           values: dict[str, Any], confirmed: bool, exclude: int | None = None) -> None:
    amount = values.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ContractError("amount", _("Enter an amount of more than zero."))
    if not isinstance(values.get("received_on"), dt.date):
        raise ContractError("received_on", _("Enter the day the money arrived."))
    if values.get("method") not in PAYMENT_METHODS:
        raise ContractError("method", _("Not a valid choice."))
    for name, limit in TEXT_LIMITS.items():
        if len(str(values.get(name) or "")) > limit:
            raise ContractError(name, _("At most %(n)d characters.", n=limit))
    left = outstanding(session, contract, instalment, exclude)
    if amount > left and not confirmed:
        where = _("instalment %(n)d", n=instalment.sequence) if instalment is not None \
            else _("contract %(number)s", number=contract.number)
        raise Overpayment("amount", _(
            "¥%(amount)s is more than the ¥%(left)s outstanding on %(where)s. Check the "
            "amount, or confirm the overpayment to record it anyway.",
            amount=yuan(amount), left=yuan(left), where=where))


def record_payment(session: Session, values: dict[str, Any], user: Any, *,
                   confirm_overpayment: bool = False) -> Payment:
    """Record money received against ``values["contract_id"]`` (a contract ``user`` may
    see, active or ended) and optionally one of its instalments; fires
    ``payment_received``. ``Overpayment`` (on ``amount``) unless confirmed."""
    contract = _contract(session, values.get("contract_id"), user)
    instalment = _instalment(session, contract, values.get("instalment_id"))
    values = {"method": "bank_transfer", **values}
    _check(session, contract, instalment, values, confirm_overpayment)
    payment = Payment(contract_id=contract.id, instalment_id=instalment.id if instalment
                      else None, customer_id=contract.customer_id, amount=values["amount"],
                      received_on=values["received_on"], method=values["method"],
                      reference=str(values.get("reference") or "").strip(),
                      note=str(values.get("note") or "").strip(), owner_id=contract.owner_id,
                      department_id=contract.department_id)
    session.add(payment)
    session.flush()
    refresh_plan(session, contract.id)
    emit("payment_received", session, payment_id=payment.id, contract_id=contract.id,
         customer_id=contract.customer_id, amount=payment.amount)
    return payment


def record_erp_payment(session: Session, order_id: int, paid: int, reference: str,
                       received_on: dt.date) -> Payment | None:
    """For the ERP bridge (a trusted caller, no scope): the ERP says ``paid`` fen of its
    invoice ``reference`` for order ``order_id`` are paid in all. The part not recorded yet
    (payments with that reference on the order's newest live contract) is recorded as a
    payment there, fires ``payment_received``; None when the order has no contract or nothing
    is new (a pull taken twice records nothing twice)."""
    contract = session.scalar(select(Contract).where(
        Contract.order_id == order_id, Contract.deleted_at.is_(None),
        Contract.status.in_(("active", "expired"))).order_by(Contract.id.desc()).limit(1))
    if contract is None:
        return None
    reference = str(reference or "").strip()[:100]
    recorded = session.scalar(select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.contract_id == contract.id, Payment.reference == reference,
        Payment.deleted_at.is_(None))) or 0
    if paid - recorded <= 0:
        return None
    payment = Payment(contract_id=contract.id, customer_id=contract.customer_id,
                      amount=paid - recorded, received_on=received_on,
                      method="bank_transfer", reference=reference, note="ERP",
                      owner_id=contract.owner_id, department_id=contract.department_id)
    session.add(payment)
    session.flush()
    refresh_plan(session, contract.id)
    emit("payment_received", session, payment_id=payment.id, contract_id=contract.id,
         customer_id=contract.customer_id, amount=payment.amount)
    return payment


def update_payment(session: Session, payment: Payment, values: dict[str, Any], user: Any, *,
                   confirm_overpayment: bool = False) -> Payment:
    """Change a payment's instalment, amount, day, method, reference or note (it stays with
    its contract)."""
    if values.get("contract_id") not in (None, payment.contract_id):
        raise ContractError("contract_id", _("A payment stays with its contract: delete it "
                                             "and record it on the other one."))
    contract = session.get(Contract, payment.contract_id)
    merged = {name: values.get(name, getattr(payment, name))
              for name in ("instalment_id", "amount", "received_on", "method", "reference",
                           "note")}
    instalment = _instalment(session, contract, merged["instalment_id"])
    _check(session, contract, instalment, merged, confirm_overpayment, exclude=payment.id)
    for name, value in merged.items():
        value = str(value or "").strip() if name in TEXT_LIMITS else value
        if getattr(payment, name) != value:
            setattr(payment, name, value)
    session.flush()
    refresh_plan(session, contract.id)
    return payment


def delete_payment(session: Session, payment: Payment, user: Any) -> None:
    """Delete a payment (kept in the trash); the plan's received amounts follow."""
    payment.deleted_at = utcnow()
    session.flush()
    refresh_plan(session, payment.contract_id)
