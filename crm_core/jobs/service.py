"""Starting jobs, reporting their progress from inside a task, and listing a user's jobs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, select

from ..db import utcnow
from ..errors import DomainError
from .models import NOT_QUEUED, STATE_LABELS, UNEXPECTED_FAILURE, Job

log = logging.getLogger(__name__)


def _new_session() -> Any:
    return current_app.extensions["crm_db"].new_session()


def start_job(task: str, *, kind: str | None = None, owner_id: int | None = None,
              **kwargs: Any) -> Job:
    """Queue the registered job task ``task`` (``<plugin>.<name>``) and return its Job.

    The Job row is committed before the task is sent, so the worker always finds it; if the
    broker refuses the message the job is marked failed with the reason.
    """
    platform = current_app.extensions["crm"]
    if task not in platform.tasks or not platform.tasks[task][1].job:
        raise DomainError(f"{task!r} is not a registered job task")
    with _new_session() as session:
        job = Job(kind=kind or task, task=task, owner_id=owner_id, state="queued", progress=0,
                  message=STATE_LABELS["queued"])
        session.add(job)
        session.commit()
        try:
            current_app.extensions["celery"].send_task(task, kwargs={**kwargs, "job_id": job.id})
        except Exception:  # broker down: the user sees a failed job, not a 500
            log.exception("job %s could not be queued", job.id, extra={"job_id": job.id})
            job.state, job.error, job.finished_at = "failed", NOT_QUEUED, utcnow()
            session.commit()
        session.refresh(job)
        session.expunge(job)
        return job


def send_task(task: str, **kwargs: Any) -> None:
    """Queue the registered task ``task`` (``<plugin>.<name>``) that is not a job."""
    platform = current_app.extensions["crm"]
    if task not in platform.tasks:
        raise DomainError(f"{task!r} is not a registered task")
    if platform.tasks[task][1].job:
        raise DomainError(f"{task!r} is a job task: start it with start_job")
    current_app.extensions["celery"].send_task(task, kwargs=kwargs)


class JobHandle:
    """What a job task receives as ``job``: report progress, a message, a result file.

    Each call commits at once in its own short transaction, so the progress page sees it
    while the task's own work is still running.
    """

    def __init__(self, job_id: int) -> None:
        self.id = job_id
        self._owner: tuple[int | None, str] | None = None

    def owner(self) -> tuple[int | None, str]:
        """``(user id, user name)`` of who started the job; ``(None, "system")`` if nobody."""
        if self._owner is None:
            from ..auth.models import User

            with _new_session() as session:
                job = session.get(Job, self.id)
                user = session.get(User, job.owner_id) if job and job.owner_id else None
                self._owner = (user.id, user.username) if user else (None, "system")
        return self._owner

    @property
    def owner_id(self) -> int | None:
        """The id of the user who started the job (None for a system job): scope by it."""
        return self.owner()[0]

    def _update(self, **values: Any) -> None:
        with _new_session() as session:
            job = session.get(Job, self.id)
            if job is None:
                raise LookupError(f"job {self.id} does not exist")
            for key, value in values.items():
                setattr(job, key, value)
            session.commit()

    def progress(self, percent: float, message: Any = None) -> None:
        """Set progress to ``percent`` (clamped to 0–100) and optionally the message: best a
        lazy string (``_l("%(n)d rows", n=n)``), which each reader sees in their language."""
        values: dict[str, Any] = {"progress": max(0, min(100, int(percent)))}
        if message is not None:
            values.update(_message(message))
        self._update(**values)

    def result_file(self, path: str | Path) -> None:
        """Record the file this job produced (an export, an error report).

        The file must be inside the jobs folder (``job_files_dir()``); its owner downloads it
        from ``core_jobs.download`` and nobody ever sees the path.
        """
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(job_files_dir().resolve()):
            raise ValueError(f"job {self.id}: a result file must be inside the jobs folder")
        self._update(result_file=str(resolved))

    def start(self) -> None:
        """Mark the job running (the kernel calls this before the task function)."""
        self._update(state="running", started_at=utcnow(),
                     **_message(STATE_LABELS["running"]))

    def finish(self, message: Any = None) -> None:
        """Mark the job done at 100 % (the kernel calls this when the task returns); the
        task's returned message may be a lazy string, as for ``progress``."""
        self._update(state="done", progress=100, finished_at=utcnow(),
                     **_message(message or STATE_LABELS["done"]))

    def fail(self, error: BaseException | str) -> None:
        """Mark the job failed (the kernel calls this when the task raises).

        The user reads a string or a ``DomainError``'s message as given; any other exception
        is logged with its traceback (its text may hold a server path or a raw database
        error) and the user reads ``UNEXPECTED_FAILURE``.
        """
        if isinstance(error, str | DomainError):
            text = str(error)
        else:
            log.error("job %s failed", self.id, exc_info=error,
                      extra={"job_id": self.id, "error": f"{type(error).__name__}: {error}"})
            text = UNEXPECTED_FAILURE
        self._update(state="failed", finished_at=utcnow(), error=text[:2000],
                     **_message(STATE_LABELS["failed"]))


def _message(message: Any) -> dict[str, Any]:
    """The ``message`` and ``message_data`` columns of a plain or lazy message."""
    from ..audit.messages import split_message

    text, data = split_message(message)
    return {"message": text[:500], "message_data": data}


def job_files_dir() -> Path:
    """The folder where jobs write result files (``CRM_JOB_FILES``), created when missing."""
    path = Path(current_app.config["CRM_JOB_FILES"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def jobs_of(owner_id: int) -> Select[tuple[Job]]:
    """The jobs ``owner_id`` started (a statement to page through, newest first by id)."""
    return select(Job).where(Job.owner_id == owner_id)
