"""Personal API tokens, stored as SHA-256 hashes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, TimestampMixin


class ApiToken(TimestampMixin, Model):
    """A bearer token of one user. Only its hash is kept; ``prefix`` helps tell them apart."""

    __tablename__ = "core_api_token"
    #: The operation log shows that a token was created or revoked, never its hash.
    __audit_sensitive__ = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                         index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
