"""The attachment row: which record a stored file belongs to, and what the file is."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, TimestampMixin


class Attachment(TimestampMixin, Model):
    """A file on one record (``kind`` + ``record_id``), stored by its SHA-256.

    Rows of identical bytes share one stored file. ``file_name`` is the uploader's name,
    cleaned for display; ``content_type`` was sniffed from the bytes. The row is not logged
    by the automatic capture: uploads and deletes are logged as events about the record
    (``service.py``), so the log entries follow the record's data scope.
    """

    __tablename__ = "core_attachment"
    __audit__ = False
    __table_args__ = (
        Index("ix_core_attachment_record", "kind", "record_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(120))
    record_id: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    file_name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
