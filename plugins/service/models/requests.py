"""Service requests (服务请求): an inquiry, complaint or suggestion of a customer, entered by
staff (or, later, through the public form). Each has one or more tickets."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.toolkit import DataScope, Model, TimestampMixin, utcnow

from .choices import CHANNEL_LABELS, PRIORITY_LABELS, REQUEST_TYPE_LABELS

CUSTOMER_ID = "customers_customer.id"  # customers' public CUSTOMER_ID (services.__all__)
CONTACT_ID = "customers_contact.id"  # customers' public CONTACT_ID


class ServiceRequest(TimestampMixin, Model):
    """What a customer asked, complained about or suggested, and how it came in."""

    __tablename__ = "service_request"
    __data_scope__ = DataScope(kind="service.request")
    __table_args__ = (Index("ix_service_request_received", "received_at", "id"),
                      Index("ix_service_request_owner_id", "owner_id", "id"),
                      Index("ix_service_request_owner_received", "owner_id", "received_at",
                            "id"),
                      Index("ix_service_request_owner_number", "owner_id", "number", "id"))
    __audit_label__ = _l("Service request")
    __audit_labels__ = {"number": _l("Reference"), "type": _l("Type"),
                        "channel": _l("Channel"), "customer_id": _l("Customer"),
                        "contact_id": _l("Contact"), "subject": _l("Subject"),
                        "content": _l("Content"), "priority": _l("Priority"),
                        "received_at": _l("Received"), "owner_id": _l("Entered by"),
                        "department_id": _l("Department"),
                        "requester_name": _l("Requester's name"),
                        "requester_email": _l("Requester's e-mail"),
                        "requester_phone": _l("Requester's phone")}
    __audit_choices__ = {"type": REQUEST_TYPE_LABELS, "channel": CHANNEL_LABELS,
                         "priority": PRIORITY_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="inquiry", server_default="inquiry")
    channel: Mapped[str] = mapped_column(String(20), default="phone", server_default="phone")
    customer_id: Mapped[int] = mapped_column(ForeignKey(CUSTOMER_ID, ondelete="CASCADE"),
                                             index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey(CONTACT_ID, ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="", server_default="")
    priority: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: who wrote in through the public form, as they typed it (service_0006)
    requester_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    requester_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    requester_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")

    #: the request's tickets not in the trash, loaded for a whole page in one statement
    tickets = relationship(
        "Ticket", viewonly=True, lazy="selectin", order_by="Ticket.id",
        primaryjoin="and_(Ticket.request_id == ServiceRequest.id, Ticket.deleted_at.is_(None))")

    @property
    def ticket_ids(self) -> list[int]:
        """The ids of the request's tickets (not in the trash), oldest first."""
        return [ticket.id for ticket in self.tickets]
