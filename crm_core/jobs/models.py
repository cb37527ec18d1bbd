"""The kernel's Job record: one row per long-running piece of work a user can watch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, TimestampMixin

JOB_STATES = ("queued", "running", "done", "failed")


class Job(TimestampMixin, Model):
    """A background task's state, progress (0–100), message, result file or error."""

    __tablename__ = "core_job"
    __audit__ = False  # progress updates, not business data

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(120), index=True)
    task: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    result_file: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def finished(self) -> bool:
        """Whether the job is done or failed."""
        return self.state in ("done", "failed")

    def to_dict(self) -> dict[str, object]:
        """The job as the API and the progress page show it."""
        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None
        return {
            "id": self.id, "kind": self.kind, "task": self.task, "owner_id": self.owner_id,
            "state": self.state, "progress": self.progress, "message": self.message,
            "result_file": self.result_file, "error": self.error,
            "created_at": iso(self.created_at), "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
        }
