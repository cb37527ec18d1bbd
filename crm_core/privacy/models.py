"""The erasure register and the suppression list (migration core_0015_privacy).

Neither holds an e-mail or a phone in clear: only keyed hashes (``hashing.py``), so the
register can prove an erasure happened and the suppression list can stop marketing from
adding the person back, without keeping what was erased.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, utcnow


class PrivacyErasure(Model):
    """One erasure: when, by whom, the hashes of what was asked, and what each plugin
    anonymised (``counts``: ``{"customers": {"customers": 1, "contacts": 2}}``).

    Not captured by the operation log's automatic recording (``__audit__ = False``): the
    erasure writes exactly one entry of its own, which names this row.
    """

    __tablename__ = "core_privacy_erasure"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(80), default="")
    email_hash: Mapped[str] = mapped_column(String(64), default="")
    phone_hash: Mapped[str] = mapped_column(String(64), default="")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)


class PrivacySuppression(Model):
    """A hashed e-mail or phone that marketing must never address again (``kind`` is
    ``email`` or ``phone``)."""

    __tablename__ = "core_privacy_suppression"
    __audit__ = False

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    erasure_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_privacy_erasure.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
