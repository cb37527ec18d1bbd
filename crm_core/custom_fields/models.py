"""The definitions of custom fields: one row per field of a record kind (``core_custom_field``).

The values live in the records' own ``custom`` JSON column (``storage.custom_column``); a
definition says how to read, check and show them. Deleting a field archives its row
(``archived_at``) and leaves the values where they are, so restoring it brings them back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, TimestampMixin


class CustomField(TimestampMixin, Model):
    """One custom field of a record kind (``customers.customer``).

    ``key`` never changes (it names the value in ``custom`` and in the API); ``labels`` and
    ``help`` map a locale (``zh_CN``, ``en``) to text; ``options`` of a choice field are
    ``{"value", "colour", "removed"}`` dicts; ``view_roles``/``edit_roles`` are role names
    (empty: every role that sees the record).
    """

    __tablename__ = "core_custom_field"
    __audit_label__ = "Custom field"
    __table_args__ = (UniqueConstraint("record_kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(80), index=True)
    key: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    help: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    section: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    default: Mapped[Any] = mapped_column(JSON, nullable=True)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    view_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    edit_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    filterable: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    def label(self, locale: str | None = None) -> str:
        """The label in ``locale`` (``zh_CN``/``en``), else the other one, else the key."""
        labels = self.labels or {}
        language = "zh_CN" if (locale or "").startswith("zh") else "en"
        other = "en" if language == "zh_CN" else "zh_CN"
        return labels.get(language) or labels.get(other) or self.key

    def help_text(self, locale: str | None = None) -> str:
        """The help text in ``locale``, else the other one."""
        texts = self.help or {}
        language = "zh_CN" if (locale or "").startswith("zh") else "en"
        return texts.get(language) or texts.get("en" if language == "zh_CN" else "zh_CN") or ""

    def option_values(self, *, removed: bool = False) -> list[str]:
        """The options' values, the removed ones too when ``removed``."""
        return [item["value"] for item in self.options or []
                if removed or not item.get("removed")]

    def option(self, value: Any) -> dict[str, Any] | None:
        """The option whose value is ``value`` (removed ones too), or None."""
        return next((item for item in self.options or [] if item["value"] == value), None)
