"""Starting jobs, reporting their progress from inside a task, and listing a user's jobs."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, select, update

from ..db import utcnow
from ..errors import DomainError
from .models import NOT_QUEUED, STATE_LABELS, UNEXPECTED_FAILURE, WAITING, Job

log = logging.getLogger(__name__)


def _new_session() -> Any:
    return current_app.extensions["crm_db"].new_session()


def start_job(task: str, *, kind: str | None = None, owner_id: int | None = None,
              about: str = "", **kwargs: Any) -> Job:
    """Queue the registered job task ``task`` (``<plugin>.<name>``) and return its Job;
    ``about`` names what it works on (an uploaded file's name) beside its ``kind``.

    The Job row is committed before the task is sent, so the worker always finds it. If the
    broker is unreachable the job stays queued, waiting (``WAITING``, its arguments kept in
    ``message_data``), and ``resend_jobs`` sends it when the broker is back.
    """
    platform = current_app.extensions["crm"]
    if task not in platform.tasks or not platform.tasks[task][1].job:
        raise DomainError(f"{task!r} is not a registered job task")
    resend = _queued_data(STATE_LABELS["queued"], kwargs)  # what ``resend_jobs`` sends
    with _new_session() as session:
        job = Job(kind=kind or task, task=task, owner_id=owner_id, state="queued", progress=0,
                  message=STATE_LABELS["queued"], message_data=resend, about=about[:200])
        session.add(job)
        session.commit()
        try:
            current_app.extensions["celery"].send_task(task, kwargs={**kwargs, "job_id": job.id})
        except Exception as exc:  # broker down: the job waits for it, the user sees why
            log.warning("job %s could not be queued (%s: %s); it waits for the broker", job.id,
                        type(exc).__name__, exc, extra={"job_id": job.id})
            if resend is None:
                job.state, job.error, job.finished_at = "failed", NOT_QUEUED, utcnow()
            else:
                job.message, job.message_data = WAITING, _queued_data(WAITING, kwargs)
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
        #: True when the job was running already: its worker died (kill -9, out of memory)
        #: and the broker delivered the message again (``task_acks_late``). A task that can
        #: go on from what it committed reads it (the import run resumes).
        self.resumed = False

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

    def start(self) -> bool:
        """Claim the queued job and mark it running (the kernel calls this before the task
        function). False when it is done or failed: a message delivered twice (a resend, a
        redelivery), which must not run it again. A running job is taken over (``resumed``)."""
        running = {"state": "running", **_message(STATE_LABELS["running"])}
        with _new_session() as session:
            claimed = session.execute(
                update(Job).where(Job.id == self.id, Job.state == "queued")
                .values(started_at=utcnow(), **running)).rowcount
            session.commit()
            if claimed:
                return True
            job = session.get(Job, self.id)
            if job is None:
                raise LookupError(f"job {self.id} does not exist")
            if job.state != "running":
                return False
        log.warning("job %s was running when its message came again: its worker stopped; "
                    "running it again", self.id, extra={"job_id": self.id})
        self.resumed = True
        self._update(**running)
        return True

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


RESEND_MINUTES = 5  # default of CRM_JOB_RESEND_MINUTES


def resend_jobs(limit: int = 200) -> int:
    """Send the jobs the broker does not hold (the beat asks every minute): those that
    waited for an unreachable broker, and those queued longer than ``CRM_JOB_RESEND_MINUTES``
    without starting, whose message a broker restarted without persistence lost. A copy
    of a message still in the queue is harmless: ``JobHandle.start`` runs a job once.
    Returns how many were sent."""
    minutes = float(current_app.config.get("CRM_JOB_RESEND_MINUTES", RESEND_MINUTES))
    stale = utcnow() - dt.timedelta(minutes=minutes)
    celery, sent = current_app.extensions["celery"], 0
    with _new_session() as session:
        jobs = session.scalars(select(Job).where(
            Job.state == "queued", (Job.message == WAITING) | (Job.updated_at < stale))
            .order_by(Job.id).limit(limit)).all()
        for job in jobs:
            data = _resend_data(job)
            if data is None:
                continue  # queued before this version, or its arguments are lost
            # claimed by the update, so two beats never send it twice at once; updated_at
            # moves on, so a long queue gets one more copy per CRM_JOB_RESEND_MINUTES at most
            kept = session.execute(update(Job).where(
                Job.id == job.id, Job.state == "queued",
                Job.updated_at == job.updated_at).values(
                message=STATE_LABELS["queued"],
                message_data=_queued_data(STATE_LABELS["queued"], data))).rowcount
            session.commit()
            if not kept:
                continue
            try:
                celery.send_task(job.task, kwargs={**data, "job_id": job.id})
            except Exception:  # still unreachable: it waits again, and so do the others
                session.execute(update(Job).where(Job.id == job.id, Job.state == "queued")
                                .values(message=WAITING,
                                        message_data=_queued_data(WAITING, data)))
                session.commit()
                log.warning("the broker is still unreachable; %d jobs wait", len(jobs) - sent)
                break
            sent += 1
    if sent:
        log.info("sent %d jobs again", sent, extra={"jobs": sent})
    return sent


def _queued_data(message: str, kwargs: dict[str, Any]) -> str | None:
    """A queued job's ``message_data``: its message and the task's arguments (None when
    they are not JSON, which no broker could carry either)."""
    try:
        return json.dumps({"id": message, "args": {}, "resend": kwargs})
    except TypeError:
        return None


def _resend_data(job: Job) -> dict[str, Any] | None:
    """The task arguments ``_queued_data`` kept, or None."""
    try:
        data = json.loads(job.message_data or "")
    except ValueError:
        return None
    resend = data.get("resend") if isinstance(data, dict) else None
    return resend if isinstance(resend, dict) else None


def job_files_dir() -> Path:
    """The folder where jobs write result files (``CRM_JOB_FILES``), created when missing."""
    path = Path(current_app.config["CRM_JOB_FILES"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def jobs_of(owner_id: int) -> Select[tuple[Job]]:
    """The jobs ``owner_id`` started (a statement to page through, newest first by id)."""
    return select(Job).where(Job.owner_id == owner_id)
