"""The kernel's Job record: one row per long-running piece of work a user can watch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, TimestampMixin

JOB_STATES = ("queued", "running", "done", "failed")


def N_(message: str) -> str:
    """Mark ``message`` for translation; ``Job.error_text`` translates it when shown."""
    return message


#: Each state as the pages name it (``state_labels``), and the message a state sets.
STATE_LABELS = {"queued": N_("Queued"), "running": N_("Running"), "done": N_("Done"),
                "failed": N_("Failed")}


def state_labels() -> dict[str, str]:
    """Each job state's label in the current language (``{"queued": "排队中", ...}``)."""
    from flask_babel import gettext

    return {state: gettext(label) for state, label in STATE_LABELS.items()}


# Stored as ``error`` (untranslated msgids) when the real reason must stay in the log.
UNEXPECTED_FAILURE = N_("The job failed unexpectedly. An administrator can find job %(id)s "
                        "in the log.")
NOT_QUEUED = N_("The job could not be queued. Try again later, or tell an administrator.")
# A queued job's message while the broker is unreachable (``jobs.service.resend_jobs``).
WAITING = N_("Waiting for the job queue, which is unreachable: the job is sent when it is "
             "back.")
_GENERIC_ERRORS = (UNEXPECTED_FAILURE, NOT_QUEUED)


class Job(TimestampMixin, Model):
    """A background task's state, progress (0–100), message, result file or error.

    ``result_file`` is a server path inside the jobs folder (``CRM_JOB_FILES``); only the
    kernel reads it, to serve the file at ``download_url``. ``error`` is what the user may
    read: a domain error's message, or a generic one (the details go to the log).
    """

    __tablename__ = "core_job"
    __audit__ = False  # progress updates, not business data

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(120), index=True)
    # what the job works on, as its starter names it ("客户导出.xlsx"): the jobs page shows it
    about: Mapped[str] = mapped_column(String(200), default="", server_default="")
    task: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    # indexed: the re-send beat and the metrics look for the few queued and running jobs
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    # a translatable message's id and values (``audit.messages``); ``message`` its English
    message_data: Mapped[str | None] = mapped_column(Text)
    result_file: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def finished(self) -> bool:
        """Whether the job is done or failed."""
        return self.state in ("done", "failed")

    @property
    def message_text(self) -> str:
        """``message`` in the reader's language: a state's message, or a task's lazy message
        (``JobHandle.progress(percent, _l("%(n)d rows", n=n))``) filled with its values."""
        from flask_babel import gettext

        from ..audit.messages import render_message

        if not self.message_data and self.message in STATE_LABELS.values():
            return gettext(self.message)
        return render_message(self)

    @property
    def state_label(self) -> str:
        """The state in the reader's language."""
        return state_labels().get(self.state, self.state)

    @property
    def error_text(self) -> str | None:
        """``error`` as the user reads it, in their language when it is a generic one."""
        if self.error in _GENERIC_ERRORS:
            from flask_babel import gettext

            return gettext(self.error, id=self.id)
        return self.error

    @property
    def has_download(self) -> bool:
        """Whether the job is done and left a file to download."""
        return self.state == "done" and bool(self.result_file)

    @property
    def download_url(self) -> str | None:
        """The URL that downloads the job's file (``core_jobs.download``), or None.

        ``result_file`` is a path on the server and is never shown: pages and the API offer
        this URL instead.
        """
        if not self.has_download:
            return None
        from flask import url_for

        return url_for("core_jobs.download", job_id=self.id)

    def to_dict(self) -> dict[str, object]:
        """The job as the API and the progress page show it (no server path)."""
        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None
        return {
            "id": self.id, "kind": self.kind, "task": self.task, "owner_id": self.owner_id,
            "state": self.state, "state_label": self.state_label, "progress": self.progress,
            "message": self.message_text,
            "download_url": self.download_url, "error": self.error_text,
            "created_at": iso(self.created_at), "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
        }
