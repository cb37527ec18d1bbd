"""The e-mail part's table: one row per campaign send (its A/B test, where queueing is).

A send queues the campaign's members in id order, batch by batch, and remembers the last
member queued (``last_member_id``), so a send interrupted by a crashed worker goes on from
there; the outbox's idempotency key per member (``marketing:<campaign>:<member>``) makes a
repeat of the last batch harmless.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, utcnow

#: ``queuing`` the members of ``phase``; ``waiting`` for the A/B winner; ``done``
SEND_STATES = ("queuing", "waiting", "done")
SEND_STATE_LABELS = {"queuing": _l("Queuing"), "waiting": _l("Waiting for the A/B winner"),
                     "done": _l("Queued")}
#: ``all`` members (no test), the A/B ``sample``, the ``rest`` with the winning subject
PHASES = ("all", "sample", "rest")
METRICS = ("opens", "clicks")


class MailSend(Model):
    """A campaign's send (at most one): its A/B test and its progress through the members."""

    __tablename__ = "marketing_mail_send"
    # bookkeeping of a send; starting it and picking a winner are written to the log
    __audit__ = False

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("marketing_campaign.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="queuing")
    phase: Mapped[str] = mapped_column(String(10), default="all")
    #: the second subject of an A/B test ("" without one) and the sample's share (percent)
    subject_b: Mapped[str] = mapped_column(String(200), default="", server_default="")
    sample_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    metric: Mapped[str] = mapped_column(String(10), default="opens", server_default="opens")
    #: the A/B winner ("A" or "B") once picked, and when it is picked by itself
    winner: Mapped[str] = mapped_column(String(1), default="", server_default="")
    winner_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: the site address links are made with (the request's, when ``CRM_BASE_URL`` is unset)
    base_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    queued: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_member_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    job_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


MAIL_MODELS = (MailSend,)
