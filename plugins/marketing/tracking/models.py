"""Tracking's tables: the links a campaign's mail contained, and who clicked which.

``marketing_link`` numbers each distinct URL of a campaign's mail (1, 2, …); a click token
names the number, never the URL, so the redirect only reaches a URL the mail contained.
``marketing_link_click`` keeps one row per (link, recipient) with a raw count, for the
campaign's "clicks per link" table (total clicks and distinct recipients).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, utcnow

#: a longer href is left as it is (not tracked): it would not fit the unique index
MAX_URL_LENGTH = 2000


class TrackedLink(Model):
    """One distinct URL of a campaign's mail, numbered within the campaign."""

    __tablename__ = "marketing_link"
    __table_args__ = (UniqueConstraint("campaign_id", "number",
                                       name="uq_marketing_link_number"),
                      UniqueConstraint("campaign_id", "url", name="uq_marketing_link_url"))
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    #: a call to action (``data-cta`` or class ``cta`` on the ``<a>``): its click is a response
    is_cta: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LinkClick(Model):
    """A recipient's clicks on one link: when first and last, and how many times."""

    __tablename__ = "marketing_link_click"
    # a recipient's rows go with them (the cascade seeks by member)
    __table_args__ = (Index("ix_marketing_link_click_member_id", "member_id"),)
    __audit__ = False

    link_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_link.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign_member.id", ondelete="CASCADE"), primary_key=True)
    clicks: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    first_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


MODELS = (TrackedLink, LinkClick)
