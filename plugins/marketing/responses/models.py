"""The responses to campaigns (``marketing_response``) and each campaign's kept totals
(``marketing_campaign_total``): what the evaluation page and the report read, so that they
stay cheap at hundreds of thousands of recipients.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, ScopeThrough, utcnow
from plugins.customers.services import CONTACT_ID, CUSTOMER_ID

from ..models import Campaign

KINDS = ("click", "registration", "manual")
KIND_LABELS = {"click": _l("Call to action clicked"), "registration": _l("Registration"),
               "manual": _l("Logged by staff")}


class Response(Model):
    """One response to a campaign: a call to action clicked, a registration, or one logged by
    hand (a phone call, a visit at the booth)."""

    __tablename__ = "marketing_response"
    __data_scope__ = ScopeThrough("campaign_id", Campaign, parent_deleted="deleted_at")
    __table_args__ = (Index("ix_marketing_response_campaign", "campaign_id", "created_at"),
                      Index("ix_marketing_response_member", "member_id", "kind"),
                      Index("ix_marketing_response_created", "created_at"))
    __audit_label__ = _l("Campaign response")
    # log entries follow the campaign's scope (the customer's would be a second one)
    __audit_scope__ = ("campaign_id", Campaign)
    __audit_labels__ = {"campaign_id": _l("Campaign"), "kind": _l("Kind"),
                        "member_id": _l("Recipient"), "customer_id": _l("Customer"),
                        "contact_id": _l("Contact"), "email": _l("E-mail"),
                        "user_id": _l("Logged by"), "note": _l("Note"),
                        "created_at": _l("At")}
    __audit_choices__ = {"kind": KIND_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("marketing_campaign_member.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey(CUSTOMER_ID, ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey(CONTACT_ID, ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CampaignTotal(Model):
    """A campaign's kept totals: responses (kept by ``record_response``) and the business
    sales attributes to it (refreshed from sales' public services on sales' events)."""

    __tablename__ = "marketing_campaign_total"
    __audit__ = False

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign.id", ondelete="CASCADE"), primary_key=True)
    responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    opportunities: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    won_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: fen
    won_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: live orders carrying the campaign that its won opportunities do not count already
    #: (sales' ``campaign_opportunity_totals``); fen
    order_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    order_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: the frozen audience's size, counted once per freeze (``members_frozen_at``)
    members: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    members_frozen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


#: counter rows per campaign: writers spread over them so that tracking hits at once do not
#: queue on one row; readers add them up
SHARDS = 16


class StageTotal(Model):
    """How many of a campaign's recipients reached each stage (kept by ``members.advance``,
    one of ``SHARDS`` rows per campaign): the funnel without counting 500,000 rows."""

    __tablename__ = "marketing_campaign_stage_total"
    __audit__ = False

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign.id", ondelete="CASCADE"), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    opened: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    clicked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unsubscribed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    registered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    responded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


MODELS = (Response, CampaignTotal, StageTotal)
