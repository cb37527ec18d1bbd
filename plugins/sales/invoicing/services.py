"""Invoice requests (开票申请): asked for by salespeople, issued by the ERP.

A request names a contract or an order, an amount (at most what the contract, else the
order, still has to invoice: its amount less every request not cancelled), the invoice type
(VAT special, VAT normal, electronic) and the buyer with their tax number (the 18-character
unified social credit code, required for a VAT special invoice). It goes requested →
synced (the ERP bridge took it) → issued, or cancelled.

For the ERP bridge (public, in ``__all__``):

- ``pending_invoice_requests(session, limit)``: the requests still to send, oldest first;
- ``mark_synced(session, request_id, external_ref)``: the ERP took one (its reference);
- ``mark_issued(session, request_id, external_ref="")``: the ERP issued the invoice.

They read across data scopes (a bridge works for everyone) and flush; the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, scoped, system_context, utcnow

from ..contracts.services import ContractError
from ..models import Contract, InvoiceRequest, Order
from ..models.contract import INVOICE_TYPES
from ..money import yuan

__all__ = ["InvoiceRequestNotFound", "cancel_invoice_request", "create_invoice_request",
           "mark_issued", "mark_synced", "pending_invoice_requests", "valid_tax_number"]

#: The shape of a unified social credit code (统一社会信用代码): 18 characters of digits and
#: capitals without I, O, S, V, Z; the sixth to eighth... are digits (an area code).
TAX_NUMBER = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
INVOICEABLE = ("active", "expired", "terminated")
TEXT_LIMITS = {"buyer_name": 200, "note": 500}


class InvoiceRequestNotFound(DomainError):
    """No invoice request with that id."""

    status = 404


def valid_tax_number(text: str) -> bool:
    """Whether ``text`` has the shape of an 18-character unified social credit code."""
    return bool(TAX_NUMBER.fullmatch(text or ""))


def requested_total(session: Session, *, contract_id: int | None = None,
                    order_id: int | None = None, exclude: int | None = None) -> int:
    """What was already requested (not cancelled) on the contract or the order, in fen."""
    query = select(func.coalesce(func.sum(InvoiceRequest.amount), 0)).where(
        InvoiceRequest.status != "cancelled", InvoiceRequest.deleted_at.is_(None))
    if contract_id is not None:
        query = query.where(InvoiceRequest.contract_id == contract_id)
    else:
        query = query.where(InvoiceRequest.order_id == order_id,
                            InvoiceRequest.contract_id.is_(None))
    if exclude is not None:
        query = query.where(InvoiceRequest.id != exclude)
    return int(session.scalar(query) or 0)


def _source(session: Session, values: dict[str, Any], user: Any) -> Contract | Order:
    if values.get("contract_id") is not None:
        contract = session.scalar(scoped(select(Contract).where(
            Contract.id == values["contract_id"], Contract.deleted_at.is_(None)),
            Contract, user))
        if contract is None:
            raise ContractError("contract_id", _("Not a valid choice."))
        if contract.status not in INVOICEABLE:
            raise ContractError("contract_id", _("Invoices are requested once the contract "
                                                 "is active."))
        return contract
    if values.get("order_id") is not None:
        order = session.scalar(scoped(select(Order).where(
            Order.id == values["order_id"], Order.deleted_at.is_(None)), Order, user))
        if order is None:
            raise ContractError("order_id", _("Not a valid choice."))
        if order.status not in ("confirmed", "delivered", "completed"):
            raise ContractError("order_id", _("Invoices are requested for confirmed orders."))
        return order
    raise ContractError("contract_id", _("Choose the contract (or the order) to invoice."))


def _check(session: Session, source: Contract | Order, values: dict[str, Any],
           exclude: int | None = None) -> None:
    amount = values.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ContractError("amount", _("Enter an amount of more than zero."))
    if isinstance(source, Contract):
        total, done = source.amount, requested_total(session, contract_id=source.id,
                                                     exclude=exclude)
    else:
        total, done = source.total_amount, requested_total(session, order_id=source.id,
                                                           exclude=exclude)
    if amount > total - done:
        raise ContractError("amount", _(
            "At most ¥%(left)s is left to invoice: ¥%(total)s less ¥%(done)s already "
            "requested.", left=yuan(max(total - done, 0)), total=yuan(total), done=yuan(done)))
    if values.get("invoice_type") not in INVOICE_TYPES:
        raise ContractError("invoice_type", _("Not a valid choice."))
    if not str(values.get("buyer_name") or "").strip():
        raise ContractError("buyer_name", _("Enter the buyer's name as on the invoice."))
    for name, limit in TEXT_LIMITS.items():
        if len(str(values.get(name) or "")) > limit:
            raise ContractError(name, _("At most %(n)d characters.", n=limit))
    tax_number = str(values.get("buyer_tax_number") or "").strip().upper()
    if tax_number and not valid_tax_number(tax_number):
        raise ContractError("buyer_tax_number", _(
            "A tax number has 18 characters: digits and capital letters (no I, O, S, V or "
            "Z), such as 91310000MA1FL8XQ2B."))
    if not tax_number and values.get("invoice_type") == "vat_special":
        raise ContractError("buyer_tax_number", _("A VAT special invoice needs the buyer's "
                                                  "tax number."))
    values["buyer_tax_number"] = tax_number


def create_invoice_request(session: Session, values: dict[str, Any],
                           user: Any) -> InvoiceRequest:
    """A new request on a contract (or an order) ``user`` may see; owner and department
    come from it."""
    values = {"invoice_type": "vat_normal", **values}
    source = _source(session, values, user)
    _check(session, source, values)
    is_contract = isinstance(source, Contract)
    request = InvoiceRequest(
        contract_id=source.id if is_contract else None,
        order_id=source.order_id if is_contract else source.id,
        customer_id=source.customer_id, amount=values["amount"],
        invoice_type=values["invoice_type"], buyer_name=str(values["buyer_name"]).strip(),
        buyer_tax_number=values["buyer_tax_number"],
        note=str(values.get("note") or "").strip(), status="requested",
        owner_id=source.owner_id, department_id=source.department_id)
    session.add(request)
    session.flush()
    return request


def update_invoice_request(session: Session, request: InvoiceRequest, values: dict[str, Any],
                           user: Any) -> InvoiceRequest:
    """Change a request still ``requested`` (it stays on its contract or order)."""
    if request.status != "requested":
        raise ContractError(None, _("The request went to the ERP: it no longer changes."),
                            409)
    for name in ("contract_id", "order_id"):
        if values.get(name) not in (None, getattr(request, name)):
            raise ContractError(name, _("A request stays with its contract or order."))
    merged = {name: values.get(name, getattr(request, name))
              for name in ("amount", "invoice_type", "buyer_name", "buyer_tax_number", "note")}
    source = session.get(Contract, request.contract_id) if request.contract_id \
        else session.get(Order, request.order_id)
    _check(session, source, merged, exclude=request.id)
    for name, value in merged.items():
        value = str(value or "").strip() if name in TEXT_LIMITS else value
        if getattr(request, name) != value:
            setattr(request, name, value)
    session.flush()
    return request


def cancel_invoice_request(session: Session, request: InvoiceRequest,
                           user: Any = None) -> InvoiceRequest:
    """Cancel a request not issued yet; its amount may be requested again."""
    if request.status not in ("requested", "synced"):
        raise ContractError(None, _("An issued or cancelled request cannot be cancelled."),
                            409)
    request.status = "cancelled"
    session.flush()
    return request


def delete_invoice_request(session: Session, request: InvoiceRequest, user: Any) -> None:
    """Delete a request still ``requested`` (kept in the trash)."""
    if request.status != "requested":
        raise ContractError(None, _("The request went to the ERP: cancel it instead."), 409)
    request.deleted_at = utcnow()
    session.flush()


def pending_invoice_requests(session: Session, limit: int = 100) -> Sequence[InvoiceRequest]:
    """For the ERP bridge: the requests still ``requested``, oldest first (at most
    ``limit``, 1 to 1,000), whoever owns them."""
    limit = max(1, min(int(limit), 1000))
    with system_context("ERP bridge: invoice requests"):
        return session.scalars(select(InvoiceRequest).where(
            InvoiceRequest.status == "requested", InvoiceRequest.deleted_at.is_(None))
            .order_by(InvoiceRequest.id).limit(limit)).all()


def _bridge_get(session: Session, request_id: int) -> InvoiceRequest:
    request = session.get(InvoiceRequest, request_id)
    if request is None or request.deleted_at is not None:
        raise InvoiceRequestNotFound(_("There is no invoice request %(id)s.", id=request_id))
    return request


def mark_synced(session: Session, request_id: int, external_ref: str) -> InvoiceRequest:
    """For the ERP bridge: the ERP took request ``request_id``; ``external_ref`` is its
    reference there. A request already synced keeps its state (a repeated call is
    harmless); a cancelled or issued one raises ``ContractError`` (409)."""
    with system_context("ERP bridge: invoice requests"):
        request = _bridge_get(session, request_id)
        if request.status in ("cancelled", "issued"):
            raise ContractError(None, _("The request is already issued or cancelled."),
                                409)
        request.status, request.external_ref = "synced", str(external_ref or "")[:100]
        session.flush()
    return request


def mark_issued(session: Session, request_id: int, external_ref: str = "") -> InvoiceRequest:
    """For the ERP bridge: the ERP issued the invoice of request ``request_id``."""
    with system_context("ERP bridge: invoice requests"):
        request = _bridge_get(session, request_id)
        if request.status == "cancelled":
            raise ContractError(None, _("The request is cancelled."), 409)
        request.status = "issued"
        if external_ref:
            request.external_ref = str(external_ref)[:100]
        session.flush()
    return request
