"""Contracts, their payment plans (回款计划), payments received (回款) and invoice requests
(开票申请).

A contract goes draft → pending approval → active → expired or terminated; a rejected
approval sends it back to draft with the approver's comment. An instalment's
``received_amount`` is kept as payments are recorded against it; an open instalment past
its due date is overdue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import DataScope, Model, ScopeThrough, TimestampMixin, custom_column

from .opportunity import CUSTOMER_ID

CONTRACT_STATUSES = ("draft", "pending_approval", "active", "expired", "terminated")
CONTRACT_STATUS_LABELS = {"draft": _l("Draft"), "pending_approval": _l("Pending approval"),
                          "active": _l("Active"), "expired": _l("Expired"),
                          "terminated": _l("Terminated")}
PAYMENT_METHODS = ("bank_transfer", "cash", "cheque", "acceptance_bill", "alipay", "wechat",
                   "other")
PAYMENT_METHOD_LABELS = {"bank_transfer": _l("Bank transfer"), "cash": _l("Cash"),
                         "cheque": _l("Cheque"), "acceptance_bill": _l("Acceptance bill"),
                         "alipay": _l("Alipay"), "wechat": _l("WeChat Pay"),
                         "other": _l("Other")}
INSTALMENT_STATUS_LABELS = {"open": _l("Open"), "partial": _l("Partly paid"),
                            "paid": _l("Paid")}
INVOICE_TYPES = ("vat_special", "vat_normal", "electronic")
INVOICE_TYPE_LABELS = {"vat_special": _l("VAT special invoice"),
                       "vat_normal": _l("VAT normal invoice"),
                       "electronic": _l("Electronic invoice")}
INVOICE_STATUSES = ("requested", "synced", "issued", "cancelled")
INVOICE_STATUS_LABELS = {"requested": _l("Requested"), "synced": _l("Sent to ERP"),
                         "issued": _l("Issued"), "cancelled": _l("Cancelled")}


class Contract(TimestampMixin, Model):
    """A signed agreement with a customer (SalesContract), from an order or on its own."""

    __tablename__ = "sales_contract"
    __data_scope__ = DataScope(kind="sales.contract")
    __table_args__ = (Index("ix_sales_contract_owner_id", "owner_id", "id"),
                      Index("ix_sales_contract_owner_number", "owner_id", "number", "id"),
                      Index("ix_sales_contract_status_end", "status", "end_date"))
    __audit_label__ = _l("Contract")
    __audit_labels__ = {
        "number": _l("Number"), "title": _l("Title"), "order_id": _l("Order"),
        "customer_id": _l("Customer"), "amount": _l("Amount"), "party_a": _l("Party A"),
        "party_b": _l("Party B"), "start_date": _l("Start date"), "end_date": _l("End date"),
        "signed_on": _l("Signed on"), "status": _l("Status"), "approval_id": _l("Approval"),
        "approval_comment": _l("Approval comment"), "owner_id": _l("Owner"),
        "department_id": _l("Department"), "renewal_notified_at": _l("Renewal reminder sent"),
        "version": _l("Version")}
    __audit_choices__ = {"status": CONTRACT_STATUS_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_order.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(CUSTOMER_ID, ondelete="CASCADE"),
                                             index=True)
    amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    party_a: Mapped[str] = mapped_column(String(200), default="", server_default="")
    party_b: Mapped[str] = mapped_column(String(200), default="", server_default="")
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    approval_id: Mapped[int | None] = mapped_column(Integer)
    approval_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    renewal_notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # custom fields an administrator defines (kernel custom_fields; sales migration)
    custom: Mapped[dict[str, Any] | None] = custom_column(
        "sales.contract", label=_l("Contracts"))

    __mapper_args__ = {"version_id_col": version}


class Instalment(Model):
    """One due payment of a contract's plan; ``received_amount`` follows the payments."""

    __tablename__ = "sales_instalment"
    __data_scope__ = ScopeThrough("contract_id", Contract, parent_deleted="deleted_at")
    # covering the receivables ageing (what is owed by due date, per contract): the index
    # alone answers it, without a visit to the table per unpaid instalment
    __table_args__ = (Index("ix_sales_instalment_owed", "status", "due_date", "amount",
                            "received_amount", "contract_id"),)
    __audit_label__ = _l("Instalment")
    __audit_labels__ = {"contract_id": _l("Contract"),
                        "sequence": _l("No."), "due_date": _l("Due date"),
                        "amount": _l("Amount"), "received_amount": _l("Received"),
                        "status": _l("Status"), "note": _l("Note")}
    __audit_choices__ = {"status": INSTALMENT_STATUS_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("sales_contract.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    received_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")


class Payment(TimestampMixin, Model):
    """Money received (回款) against a contract, and an instalment of its plan when named."""

    __tablename__ = "sales_payment"
    __data_scope__ = DataScope(kind="sales.payment")
    __table_args__ = (Index("ix_sales_payment_owner_id", "owner_id", "id"),
                      Index("ix_sales_payment_owner_received", "owner_id", "received_on",
                            "id"),
                      Index("ix_sales_payment_received_on", "received_on", "id"))
    __audit_label__ = _l("Payment")
    __audit_labels__ = {"contract_id": _l("Contract"), "instalment_id": _l("Instalment"),
                        "customer_id": _l("Customer"), "amount": _l("Amount"),
                        "received_on": _l("Received on"), "method": _l("Method"),
                        "reference": _l("Reference"), "owner_id": _l("Owner"),
                        "department_id": _l("Department"), "note": _l("Note")}
    __audit_choices__ = {"method": PAYMENT_METHOD_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("sales_contract.id", ondelete="CASCADE"), index=True)
    instalment_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_instalment.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(CUSTOMER_ID, ondelete="CASCADE"),
                                             index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20), default="bank_transfer",
                                        server_default="bank_transfer")
    reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class InvoiceRequest(TimestampMixin, Model):
    """A request to issue an invoice (开票申请), for the ERP bridge to sync."""

    __tablename__ = "sales_invoice_request"
    __data_scope__ = DataScope(kind="sales.invoice_request")
    __table_args__ = (Index("ix_sales_invoice_request_owner_id", "owner_id", "id"),
                      Index("ix_sales_invoice_request_status", "status", "id"))
    __audit_label__ = _l("Invoice request")
    __audit_labels__ = {"contract_id": _l("Contract"), "order_id": _l("Order"),
                        "customer_id": _l("Customer"), "amount": _l("Amount"),
                        "invoice_type": _l("Invoice type"), "buyer_name": _l("Buyer"),
                        "buyer_tax_number": _l("Buyer tax number"), "status": _l("Status"),
                        "external_ref": _l("ERP reference"), "owner_id": _l("Owner"),
                        "department_id": _l("Department"), "note": _l("Note")}
    __audit_choices__ = {"invoice_type": INVOICE_TYPE_LABELS, "status": INVOICE_STATUS_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_contract.id", ondelete="SET NULL"), index=True)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_order.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(CUSTOMER_ID, ondelete="CASCADE"),
                                             index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    invoice_type: Mapped[str] = mapped_column(String(20), default="vat_normal",
                                              server_default="vat_normal")
    buyer_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    buyer_tax_number: Mapped[str] = mapped_column(String(20), default="", server_default="")
    status: Mapped[str] = mapped_column(String(12), default="requested",
                                        server_default="requested")
    external_ref: Mapped[str] = mapped_column(String(100), default="", server_default="")
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
