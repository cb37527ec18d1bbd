"""One stored setting: a namespaced key and a JSON value."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, utcnow


class Setting(Model):
    """A setting ``<plugin>.<name>`` (``sales.order_number_pattern``) and its JSON value.

    Writes are logged by the automatic capture like any record's, so the operation log
    shows who changed a letterhead and from what.
    """

    __tablename__ = "core_setting"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now())
