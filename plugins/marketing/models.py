"""The marketing plugin's tables: campaigns, their cost lines and frozen audiences, and the
consent ledger (PIPL).

A campaign goes planned → (pending approval) → approved → running → completed → evaluated.
Money is kept in fen (``BigInteger``), as the sales plugin keeps it. The consent ledger keeps
every grant and withdrawal (``marketing_consent``) and, beside it, the current state per
(e-mail, purpose) (``marketing_consent_state``), so an audience joins one row per address.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import (
    DataScope,
    Model,
    ScopeThrough,
    TimestampMixin,
    custom_column,
    utcnow,
)
from plugins.customers.services import CONTACT_ID

TYPES = ("email", "event", "exhibition", "online_ads", "telemarketing", "other")
TYPE_LABELS = {"email": _l("E-mail"), "event": _l("Event (meeting)"),
               "exhibition": _l("Exhibition"), "online_ads": _l("Online ads"),
               "telemarketing": _l("Telemarketing"), "other": _l("Other")}
STATES = ("planned", "pending_approval", "approved", "running", "completed", "evaluated")
STATE_LABELS = {"planned": _l("Planned"), "pending_approval": _l("Pending approval"),
                "approved": _l("Approved"), "running": _l("Running"),
                "completed": _l("Completed"), "evaluated": _l("Evaluated")}
PURPOSES = ("marketing_email",)
PURPOSE_LABELS = {"marketing_email": _l("Marketing e-mail")}
#: a recipient's furthest stage, in funnel order (``members.advance`` only moves forward);
#: "failed" (the mail could not be sent) sits beside "sent", below every later stage
MEMBER_STATUSES = ("planned", "failed", "sent", "delivered", "opened", "clicked",
                   "unsubscribed", "registered", "responded")
MEMBER_STATUS_LABELS = {"planned": _l("Planned"), "failed": _l("Failed"), "sent": _l("Sent"),
                        "delivered": _l("Delivered"), "opened": _l("Opened"),
                        "clicked": _l("Clicked"), "unsubscribed": _l("Unsubscribed"),
                        "registered": _l("Registered"), "responded": _l("Responded")}


class Campaign(TimestampMixin, Model):
    """A marketing campaign (营销活动): its plan, budget, state and audience definition."""

    __tablename__ = "marketing_campaign"
    __data_scope__ = DataScope(kind="marketing.campaign")
    __table_args__ = (Index("ix_marketing_campaign_owner_id", "owner_id", "id"),
                      Index("ix_marketing_campaign_owner_name", "owner_id", "name", "id"),
                      Index("ix_marketing_campaign_state_id", "state", "id"),
                      Index("ix_marketing_campaign_name_id", "name", "id"))
    __audit_label__ = _l("Campaign")
    __audit_labels__ = {
        "name": _l("Name"), "goal": _l("Goal"), "type": _l("Type"), "channel": _l("Channel"),
        "owner_id": _l("Owner"), "department_id": _l("Department"),
        "start_date": _l("Start date"), "end_date": _l("End date"), "budget": _l("Budget"),
        "expected_responses": _l("Expected responses"), "state": _l("State"),
        "approval_id": _l("Approval"), "approval_comment": _l("Approval comment"),
        "audience": _l("Audience"), "subject": _l("Subject"), "html": _l("HTML"),
        "frozen_at": _l("Audience frozen at"), "deleted_at": _l("Deleted at")}
    __audit_choices__ = {"state": STATE_LABELS, "type": TYPE_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text, default="", server_default="")
    type: Mapped[str] = mapped_column(String(20), default="email", server_default="email")
    channel: Mapped[str] = mapped_column(String(100), default="", server_default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    budget: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    expected_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[str] = mapped_column(String(20), default="planned", server_default="planned")
    approval_id: Mapped[int | None] = mapped_column(Integer)
    approval_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    audience: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(200), default="", server_default="")
    html: Mapped[str] = mapped_column(Text, default="", server_default="")
    frozen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # custom fields an administrator defines (kernel custom_fields; marketing migration)
    custom: Mapped[dict[str, Any] | None] = custom_column(
        "marketing.campaign", label=_l("Campaigns"))


class CampaignCost(TimestampMixin, Model):
    """One line of a campaign's actual spend (费用): when, what, how much (fen)."""

    __tablename__ = "marketing_campaign_cost"
    __data_scope__ = ScopeThrough("campaign_id", Campaign, parent_deleted="deleted_at")
    __audit_label__ = _l("Cost line")
    __audit_labels__ = {"campaign_id": _l("Campaign"), "spent_on": _l("Date"),
                        "item": _l("Item"), "amount": _l("Amount")}

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign.id", ondelete="CASCADE"), index=True)
    spent_on: Mapped[dt.date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Consent(Model):
    """One event of the consent ledger: an address granted or withdrew a purpose."""

    __tablename__ = "marketing_consent"
    __table_args__ = (Index("ix_marketing_consent_email_purpose", "email", "purpose", "id"),)
    __audit_label__ = _l("Consent")
    __audit_labels__ = {"email": _l("E-mail"), "contact_id": _l("Contact"),
                        "purpose": _l("Purpose"), "granted": _l("Granted"),
                        "source": _l("Source"), "at": _l("At"), "user_id": _l("By")}
    __audit_choices__ = {"purpose": PURPOSE_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey(CONTACT_ID, ondelete="SET NULL"), index=True)
    purpose: Mapped[str] = mapped_column(String(40), default="marketing_email",
                                         server_default="marketing_email")
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(100), default="", server_default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: who recorded it; None: the person themselves on a public page ("public")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))


class ConsentState(Model):
    """The latest consent event per (e-mail, purpose): what an audience reads."""

    __tablename__ = "marketing_consent_state"
    __audit__ = False

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    consent_id: Mapped[int] = mapped_column(Integer)


class CampaignMember(Model):
    """One address of a campaign's frozen audience (a snapshot: later tag changes leave it)."""

    __tablename__ = "marketing_campaign_member"
    __table_args__ = (UniqueConstraint("campaign_id", "email",
                                       name="uq_marketing_campaign_member_email"),
                      # the recipients page: keyset pages, all or by status (tracking)
                      Index("ix_marketing_campaign_member_campaign_id", "campaign_id", "id"),
                      Index("ix_marketing_campaign_member_status", "campaign_id", "status",
                            "id"))
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign.id", ondelete="CASCADE"))
    # the contact and customer the address was taken from, as a snapshot: no foreign keys
    # (checking two per row, each locking the contact and customer row, was more than half
    # of freezing 500,000 recipients on PostgreSQL); a reader finds nothing for one deleted
    contact_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="planned", server_default="planned")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: the A/B subject variant this recipient got ("" without a test)
    variant: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # when each stage was first reached (None: not yet); the funnel counts these, not status
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    clicked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


MODELS = (Campaign, CampaignCost, Consent, ConsentState, CampaignMember)
