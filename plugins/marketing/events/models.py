"""The tables of event campaigns (会议): an event's registration settings and its registrants.

An event belongs to one campaign of type ``event`` and carries the public key of its
registration page (``/m/events/<key>``). A registration is one person's seat: unique per
event by e-mail and by phone (NULL when not given, so two phone-only people never clash on
an empty address), with the code on their QR ticket and when it was checked in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, ScopeThrough, TimestampMixin, utcnow
from plugins.customers.services import CONTACT_ID, CUSTOMER_ID

from ..models import Campaign


class Event(TimestampMixin, Model):
    """An event campaign's registration: its public key, seats, deadline and questions."""

    __tablename__ = "marketing_event"
    __data_scope__ = ScopeThrough("campaign_id", Campaign, parent_deleted="deleted_at")
    __audit_label__ = _l("Event registration settings")
    __audit_labels__ = {"campaign_id": _l("Campaign"), "key": _l("Public key"),
                        "capacity": _l("Capacity"), "deadline": _l("Registration deadline"),
                        "place": _l("Place"), "schedule": _l("Time"),
                        "intro": _l("Introduction"), "questions": _l("Questions"),
                        "is_open": _l("Registration open")}

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign.id", ondelete="CASCADE"), unique=True)
    #: the registration page's address part: random, so nobody finds an event by counting
    key: Mapped[str] = mapped_column(String(32), unique=True)
    #: seats; None: no limit
    capacity: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: when, as the organiser writes it ("2027年3月5日 14:00–17:00")
    schedule: Mapped[str] = mapped_column(String(200), default="", server_default="")
    intro: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: ``[{"id", "label", "kind": text|choice|yesno, "choices": [...], "required"}]``
    questions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Registration(Model):
    """One registrant of an event: who, their answers, the ticket code, the check-in."""

    __tablename__ = "marketing_registration"
    __data_scope__ = ScopeThrough("campaign_id", Campaign, parent_deleted="deleted_at")
    __audit_scope__ = ("campaign_id", "marketing_campaign")  # its log entries follow the campaign
    __table_args__ = (
        UniqueConstraint("event_id", "email", name="uq_marketing_registration_email"),
        UniqueConstraint("event_id", "phone", name="uq_marketing_registration_phone"),
        Index("ix_marketing_registration_event_id", "event_id", "id"))
    __audit_label__ = _l("Event registration")
    __audit_labels__ = {"event_id": _l("Event"), "campaign_id": _l("Campaign"),
                        "code": _l("Code"), "name": _l("Name"), "email": _l("E-mail"),
                        "phone": _l("Phone"), "company": _l("Company"),
                        "answers": _l("Answers"), "consent": _l("Marketing e-mail consent"),
                        "customer_id": _l("Customer"), "contact_id": _l("Contact"),
                        "member_id": _l("Audience member"), "created_at": _l("Registered at"),
                        "checked_in_at": _l("Checked in at"),
                        "checked_in_by": _l("Checked in by")}

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("marketing_event.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign.id", ondelete="CASCADE"), index=True)
    #: the ticket's code (on the QR code); unique across events
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    company: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: ``{question id: answer text}``
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey(CUSTOMER_ID, ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey(CONTACT_ID, ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("marketing_campaign_member.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_by: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))


MODELS = (Event, Registration)
