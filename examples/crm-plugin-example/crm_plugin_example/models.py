"""The plugin's one table: notes. Table names start with the plugin's name."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import DataScope, Model, TimestampMixin


class Note(TimestampMixin, Model):
    """A short note anyone with ``example.note.create`` can write.

    Notes are scoped: a user sees their own, their department's or all notes, as their
    roles grant for the kind ``example.note``. A deleted note keeps its row (``deleted_at``).
    """

    __tablename__ = "example_note"
    __data_scope__ = DataScope(kind="example.note")
    # the list's sorts, for everyone and for a rep who sees their own notes: one index seek
    # per keyset page at any depth (`crm resources indexes` lists what a Resource needs)
    __table_args__ = (Index("ix_example_note_title_id", "title", "id"),
                      Index("ix_example_note_priority_id", "priority", "id"),
                      Index("ix_example_note_created_at_id", "created_at", "id"),
                      Index("ix_example_note_owner_id_id", "owner_id", "id"),
                      Index("ix_example_note_owner_id_title_id", "owner_id", "title", "id"),
                      Index("ix_example_note_owner_id_priority_id", "owner_id", "priority",
                            "id"),
                      Index("ix_example_note_owner_id_created_at_id", "owner_id", "created_at",
                            "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
