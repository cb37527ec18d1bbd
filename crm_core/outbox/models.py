"""The outbox row: one message waiting to leave the process (an e-mail, a webhook call)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, TimestampMixin, utcnow

#: ``pending``: waiting for its first try (or a channel that is not configured yet);
#: ``sending``: claimed by one worker; ``failed``: a try failed, the next one is booked;
#: ``dead``: the last try failed, it waits for an administrator to replay it; ``sent``.
STATUSES = ("pending", "sending", "failed", "dead", "sent")
#: The rows the outbox page and ``crm outbox list`` show by default: not delivered yet.
WAITING = ("pending", "failed", "dead")
#: Rows a worker may claim once ``next_attempt_at`` has come.
DUE = ("pending", "failed")


class OutboxMessage(TimestampMixin, Model):
    """A message written in the sender's transaction and delivered after its commit.

    ``idempotency_key`` is unique per channel: enqueueing the same key twice keeps one row.
    ``claim_token`` and ``claimed_until`` mark the worker delivering the row (a lease: a
    worker that died lets the row go when it ends).
    """

    __tablename__ = "core_outbox_message"
    # Delivery bookkeeping, not business data (and mail bodies may be private): the outbox
    # records replays and dead messages with record_event instead of every status change.
    __audit__ = False
    __table_args__ = (
        UniqueConstraint("channel", "idempotency_key"),
        Index("ix_core_outbox_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                         default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    def to_dict(self) -> dict[str, Any]:
        """The row as ``crm outbox list --json`` prints it (no payload: it may be private)."""
        def iso(value: dt.datetime | None) -> str | None:
            return as_utc(value).isoformat() if value else None
        return {
            "id": self.id, "channel": self.channel, "idempotency_key": self.idempotency_key,
            "status": self.status, "attempts": self.attempts,
            "next_attempt_at": iso(self.next_attempt_at), "last_error": self.last_error,
            "created_at": iso(self.created_at), "sent_at": iso(self.sent_at),
        }


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC time (SQLite hands back naive ones, stored in UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
