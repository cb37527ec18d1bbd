"""A contract's rules: create (from an order or on its own), change, submit for approval,
react to the decision, terminate.

A contract goes draft → pending approval → active → expired or terminated. Submitting asks
the kernel's approvals (``sales.contract``, the amount in yuan); when no definition applies
the contract is active at once. A rejected approval sends it back to draft with the
approver's comment. Services flush, the caller commits; a refused value raises
``ContractError`` naming its field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    emit,
    next_number,
    record_event,
    request_approval,
    scoped,
    utcnow,
)
from plugins.customers import services as customers

from ..models import Contract, Instalment, Order
from ..money import FEN_PER_YUAN, yuan
from ..settings import values as settings

SUBJECT = "sales.contract"
NUMBER_KEY = "sales.contract"
ORDER_READY = ("confirmed", "delivered", "completed")
#: What may still change once a contract left draft (money, dates and parties are fixed).
LATE_FIELDS = ("title", "party_a", "party_b", "signed_on")
TEXT_LIMITS = {"number": 40, "title": 200, "party_a": 200, "party_b": 200}


class ContractError(DomainError):
    """A refused contract change; ``field`` names the field (422 in the API)."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def _text(values: dict[str, Any], name: str) -> str:
    text = str(values.get(name) or "").strip()
    if len(text) > TEXT_LIMITS[name]:
        raise ContractError(name, _("At most %(n)d characters.", n=TEXT_LIMITS[name]))
    return text


def visible_order(session: Session, order_id: Any, user: Any) -> Order:
    """The order a contract may come from: in ``user``'s scope, not deleted, confirmed or
    later; else ``ContractError`` on ``order_id``."""
    order = session.scalar(scoped(select(Order).where(Order.id == order_id,
                                                      Order.deleted_at.is_(None)), Order, user))
    if order is None:
        raise ContractError("order_id", _("Not a valid choice."))
    if order.status not in ORDER_READY:
        raise ContractError("order_id", _("Only a confirmed order can have a contract: "
                                          "confirm order %(number)s first.",
                                          number=order.number))
    return order


def _customer_name(session: Session, customer_id: Any, user: Any) -> str:
    try:
        return customers.get_customer(session, customer_id, user=user).name
    except customers.CustomerNotFound:
        raise ContractError("customer_id", _("Not a valid choice.")) from None


def _check_dates(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and end < start:
        raise ContractError("end_date", _("The end date cannot be before the start date."))


def _new_number(session: Session) -> str:
    return next_number(session, NUMBER_KEY, settings.number_pattern("contract"))


def _check_number(session: Session, number: str, contract_id: int | None = None) -> None:
    taken = select(Contract.id).where(Contract.number == number)
    if contract_id is not None:
        taken = taken.where(Contract.id != contract_id)
    if session.scalar(taken.limit(1)) is not None:
        raise ContractError("number", _("Another contract already has the number %(number)s.",
                                        number=number))


def planned_total(session: Session, contract_id: int) -> int:
    """The sum of the contract's instalments (fen)."""
    return int(session.scalar(select(func.coalesce(func.sum(Instalment.amount), 0))
                              .where(Instalment.contract_id == contract_id)) or 0)


def _owner(user: Any) -> tuple[int | None, int | None]:
    """Owner and department of a new contract: its author's (as every sales record)."""
    if user is None or getattr(user, "id", None) is None:
        return None, None
    return user.id, user.department_id


def create_contract(session: Session, values: dict[str, Any], user: Any) -> Contract:
    """A new draft contract. With ``order_id`` (an order ``user`` may see, confirmed or
    later) the customer comes from the order and the amount defaults to its total;
    otherwise ``customer_id`` and ``amount`` are needed. The number comes from the series
    (setting ``sales.contract_number_pattern``) unless given."""
    order = None
    if values.get("order_id") is not None:
        order = visible_order(session, values["order_id"], user)
        customer_id = order.customer_id
    else:
        customer_id = values.get("customer_id")
        if customer_id is None:
            raise ContractError("customer_id", _("Choose a customer, or an order."))
    customer_name = _customer_name(session, customer_id, user)
    amount = values.get("amount")
    if amount is None:
        if order is None:
            raise ContractError("amount", _("Enter the contract amount."))
        amount = order.total_amount
    start, end = values.get("start_date"), values.get("end_date")
    _check_dates(start, end)
    number = _text(values, "number")
    if number:
        _check_number(session, number)
    else:
        number = _new_number(session)
    owner_id, department_id = _owner(user)
    contract = Contract(
        number=number, title=_text(values, "title") or customer_name,
        order_id=order.id if order else None, customer_id=customer_id, amount=int(amount),
        party_a=_text(values, "party_a") or settings.letterhead().company_name,
        party_b=_text(values, "party_b") or customer_name, start_date=start, end_date=end,
        signed_on=values.get("signed_on"), status="draft", owner_id=owner_id,
        department_id=department_id)
    session.add(contract)
    session.flush()
    return contract


def update_contract(session: Session, contract: Contract, values: dict[str, Any],
                    user: Any) -> Contract:
    """Change a contract. A draft changes freely (the amount never below its payment
    plan); once submitted only the title, the parties and the signing date change."""
    changed = {name: value for name, value in values.items()
               if name in ("number", "title", "order_id", "customer_id", "amount", "party_a",
                           "party_b", "start_date", "end_date", "signed_on")
               and value != getattr(contract, name)}
    if contract.status != "draft":
        for name in changed:
            if name not in LATE_FIELDS:
                raise ContractError(name, _("This changes only while the contract is a "
                                            "draft."))
    if "order_id" in changed and changed["order_id"] is not None:
        order = visible_order(session, changed["order_id"], user)
        changed["customer_id"] = order.customer_id
    if changed.get("customer_id") is not None:
        _customer_name(session, changed["customer_id"], user)
    for name in ("number", "title", "party_a", "party_b"):
        if name in changed:
            changed[name] = _text(changed, name)
    if changed.get("number"):
        _check_number(session, changed["number"], contract.id)
    elif "number" in changed:
        changed.pop("number")
    if "amount" in changed:
        if changed["amount"] is None:
            raise ContractError("amount", _("Enter the contract amount."))
        planned = planned_total(session, contract.id)
        if changed["amount"] < planned:
            raise ContractError("amount", _("The payment plan already holds ¥%(planned)s: the "
                                            "amount cannot be less.", planned=yuan(planned)))
    _check_dates(changed.get("start_date", contract.start_date),
                 changed.get("end_date", contract.end_date))
    for name, value in changed.items():
        setattr(contract, name, value)
    session.flush()
    return contract


def delete_contract(session: Session, contract: Contract, user: Any) -> None:
    """Delete a draft contract (kept in the trash); a submitted one is terminated instead."""
    if contract.status != "draft":
        raise ContractError(None, _("Only a draft contract can be deleted; terminate an "
                                    "active one instead."), status=409)
    contract.deleted_at = utcnow()
    session.flush()


def _activate(session: Session, contract: Contract) -> None:
    contract.status = "active"
    session.flush()
    emit("contract_activated", session, contract_id=contract.id,
         customer_id=contract.customer_id, amount=contract.amount)


def submit_contract(session: Session, contract: Contract, user: Any) -> Contract:
    """Send a draft contract for approval: ``pending_approval`` with its ``approval_id``
    when a definition applies, else ``active`` at once (``contract_activated``)."""
    if contract.status != "draft":
        raise ContractError("status", _("Only a draft contract can be submitted."), 409)
    if contract.amount <= 0:
        raise ContractError("amount", _("Enter the contract amount before submitting it."))
    details = _("%(customer)s, ¥%(amount)s, %(start)s to %(end)s",
                customer=contract.party_b or contract.title, amount=yuan(contract.amount),
                start=contract.start_date or "—", end=contract.end_date or "—")
    result = request_approval(SUBJECT, contract.id,
                              _("Contract %(number)s", number=contract.number), details,
                              amount=Decimal(contract.amount) / FEN_PER_YUAN,
                              requester=user, session=session)
    contract.approval_comment = ""
    if result.needed:
        contract.status, contract.approval_id = "pending_approval", result.approval_id
        session.flush()
    else:
        contract.approval_id = None
        _activate(session, contract)
    return contract


def apply_decision(session: Session, approval_id: int, contract_id: int, status: str,
                   comment: str) -> Contract | None:
    """The kernel's approval of the contract ended: approved → active
    (``contract_activated``); rejected, withdrawn or closed → draft, keeping the comment."""
    contract = session.get(Contract, contract_id)
    if contract is None or contract.status != "pending_approval" \
            or contract.approval_id != approval_id:
        return None
    if status == "approved":
        _activate(session, contract)
    elif status in ("rejected", "withdrawn", "closed"):
        contract.status = "draft"
        contract.approval_comment = (comment or "").strip()
        session.flush()
    return contract


def terminate_contract(session: Session, contract: Contract, reason: str,
                       user: Any) -> Contract:
    """End an active contract early; the reason goes to the operation log."""
    reason = (reason or "").strip()
    if contract.status != "active":
        raise ContractError("status", _("Only an active contract can be terminated."), 409)
    if not reason:
        raise ContractError("reason", _("Say why the contract is terminated."))
    if len(reason) > 500:
        raise ContractError("reason", _("At most %(n)d characters.", n=500))
    contract.status = "terminated"
    session.flush()
    record_event("contract_terminated", reason, model=Contract, record_id=contract.id,
                 changes={"reason": reason}, session=session)
    return contract
