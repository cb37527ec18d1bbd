"""The kernel's import records: one run of a file, what it wrote (for undo), saved mappings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, TimestampMixin

__all__ = ["ImportRecord", "ImportTemplate", "TabularImport"]


class TabularImport(TimestampMixin, Model):
    """One import of a CSV or XLSX file for a spec (``spec`` = ``"example.note"``): its
    settings, status, counts and outcome. Seen only by the user who started it (and
    superusers). ``stored_path`` is a server path, never shown nor logged."""

    __tablename__ = "core_import"
    __audit_sensitive__ = ("stored_path",)
    # how the operation log names its columns and statuses (``audit.display``)
    __audit_labels__ = {
        "spec": _l("Kind of records"), "filename": _l("File"), "encoding": _l("Encoding"),
        "mode": _l("Mode"), "key": _l("Key"), "all_or_nothing": _l("All or nothing"),
        "create_missing": _l("Create missing values"), "mapping": _l("Columns"),
        "job_id": _l("Job"), "total": _l("Rows"), "created": _l("Created"),
        "updated": _l("Updated"), "skipped": _l("Skipped"), "failed": _l("Failed"),
        "new_values": _l("New values"), "finished_at": _l("Finished"),
        "undone_at": _l("Undone"), "stored_path": _l("Stored file")}
    __audit_choices__ = {"status": {
        "reading": _l("Reading"), "uploaded": _l("Ready to map"), "running": _l("Working"),
        "checked": _l("Checked"), "done": _l("Done"), "failed": _l("Failed"),
        "undoing": _l("Undoing"), "undone": _l("Undone")}}

    id: Mapped[int] = mapped_column(primary_key=True)
    spec: Mapped[str] = mapped_column(String(100), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500), default="")
    encoding: Mapped[str] = mapped_column(String(20), default="")
    mode: Mapped[str] = mapped_column(String(10), default="insert")
    key: Mapped[str | None] = mapped_column(String(50))
    all_or_nothing: Mapped[bool] = mapped_column(Boolean, default=False)
    create_missing: Mapped[bool] = mapped_column(Boolean, default=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="uploaded")
    job_id: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    new_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def sample_rows(self) -> list[list[str]]:
        """The file's first rows for the mapping page (stored sealed; [] without the key)."""
        from ..crypto.cipher import KeyUnavailable, open_json

        try:
            return open_json((self.mapping or {}).get("sample"), SAMPLE_PURPOSE) or []
        except KeyUnavailable:
            return []


#: What an import's sample rows are sealed for (``crm_core.crypto.cipher.seal_json``).
SAMPLE_PURPOSE = "core.import_sample"


class ImportRecord(Model):
    """A record an import created (``old`` None) or changed (``old``/``new``: the values it
    overwrote and wrote), so undo can take it back. Bookkeeping: the batches' log entries
    name the records already."""

    __tablename__ = "core_import_record"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("core_import.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[str] = mapped_column(String(64))
    created: Mapped[bool] = mapped_column(Boolean, default=True)
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ImportTemplate(TimestampMixin, Model):
    """A user's saved column mapping (header text to field name) for one spec."""

    __tablename__ = "core_import_template"
    __table_args__ = (UniqueConstraint("owner_id", "spec", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    spec: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
