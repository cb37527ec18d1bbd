"""The operation log table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, utcnow


class AuditEntry(Model):
    """One recorded action. ``hash`` = SHA-256 over this entry's content and ``prev_hash``.

    No foreign keys on purpose: entries outlive the users and records they mention.
    ``scope_model``/``scope_id`` name the data-scoped record whose scope the entry follows
    (``scoping.py``); they are not hashed. ``message_data`` lets the page show ``message`` in
    the reader's language (``messages.py``).
    """

    __tablename__ = "core_audit_log"
    __audit__ = False  # the log does not log itself
    __table_args__ = (
        Index("ix_core_audit_log_model_record", "model", "record_id", "id"),
        Index("ix_core_audit_log_user", "user_id", "id"),
        Index("ix_core_audit_log_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(80), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    action: Mapped[str] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(120))
    record_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    message: Mapped[str] = mapped_column(String(500), default="")
    # A translatable message: canonical JSON {"id": msgid, "args": {...}, "domain": ...};
    # ``message`` then holds its English text (for readers that do not translate). Hashed
    # when set (``chain.entry_hash``); None for plain messages and entries written before.
    message_data: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope_model: Mapped[str | None] = mapped_column(String(120))
    scope_id: Mapped[int | None] = mapped_column(BigInteger)
