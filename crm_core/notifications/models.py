"""The notification table and each user's channel choices."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, utcnow

TITLE_LENGTH = 200
BODY_LENGTH = 4000
LINK_LENGTH = 500
NAME_LENGTH = 80


class Notification(Model):
    """One notification of one user: its kind, title, body and site-relative link.

    ``in_app`` is False when the user chose not to see this kind in the notification centre
    (the row still exists: the e-mail or other channel messages link to it). ``read_at`` is
    None until the user opens it or marks it read.

    Not in the operation log: a notification repeats an event its source already logged,
    and reading one is its reader's own state, not business data (like a job's progress).
    """

    __tablename__ = "core_notification"
    __audit__ = False
    __table_args__ = (
        Index("ix_core_notification_user_list", "user_id", "in_app", "id"),
        Index("ix_core_notification_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(NAME_LENGTH))
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(LINK_LENGTH))
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_read(self) -> bool:
        """Whether the user has opened it or marked it read."""
        return self.read_at is not None


class NotificationPreference(Model):
    """A user's choice for one kind and one channel. No row: the kind's default applies."""

    __tablename__ = "core_notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(NAME_LENGTH))
    channel: Mapped[str] = mapped_column(String(NAME_LENGTH))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
