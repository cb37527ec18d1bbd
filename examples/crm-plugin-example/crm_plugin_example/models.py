"""The plugin's one table: notes. Table names start with the plugin's name."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import DataScope, Model, TimestampMixin


class Note(TimestampMixin, Model):
    """A short note anyone with ``example.note.create`` can write.

    Notes are scoped: a user sees their own, their department's or all notes, as their
    roles grant for the kind ``example.note``.
    """

    __tablename__ = "example_note"
    __data_scope__ = DataScope(kind="example.note")

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
