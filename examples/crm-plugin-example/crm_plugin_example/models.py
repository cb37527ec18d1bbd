"""The plugin's one table: notes. Table names start with the plugin's name."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin


class Note(TimestampMixin, Model):
    """A short note anyone with ``example.note.create`` can write."""

    __tablename__ = "example_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
