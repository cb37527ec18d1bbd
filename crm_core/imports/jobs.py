"""The import job (read the header, check, run, undo) of any spec.

Every step that opens the uploaded file runs here, in a worker, never in a web request. A
failure the user can act on (a bad file, a limit, bad settings) becomes the import's message;
anything else is logged with the import's id, and the user reads only that.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from ..audit.service import record_event
from ..db import get_session, utcnow
from ..errors import DomainError
from ..jobs.models import Job
from ..jobs.service import JobHandle, job_files_dir, start_job
from ..registry import TaskSpec
from ..tabular import FORMATS as TABLE_FORMATS
from ..tabular import TabularError
from .export import spec_rows, write_table
from .indexes import restore_indexes
from .models import TabularImport
from .run import ImportCounts, run_import
from .service import get_spec, read_header, template_mapping
from .undo import undo_import

__all__ = ["TASK", "celery_tasks", "reset_import", "resettable", "start_import_job"]

TASK = "core.tabular_import"
log = logging.getLogger(__name__)
# The status each step runs in (a message delivered twice finds another one and stops).
RUNNING = {"read": "reading", "check": "running", "run": "running", "undo": "undoing"}


def N_(message: str) -> str:
    """Mark ``message`` for translation (job kinds are translated when shown)."""
    return message


KINDS = {"read": N_("Read import file"), "check": N_("Check import"), "run": N_("Import"),
         "undo": N_("Undo import")}


def start_import_job(imp: TabularImport, step: str, *, owner_id: int,
                     locale: str | None = None) -> Any:
    """Queue ``step`` (read, check, run, undo) of ``imp`` as a job owned by ``owner_id``,
    its messages in ``locale``; sets the import's status and returns the Job."""
    session = get_session()
    before = imp.status
    imp.status = RUNNING[step]
    session.commit()
    job = start_job(TASK, kind=KINDS[step], owner_id=owner_id, about=imp.filename,
                    import_id=imp.id, step=step, locale=locale)
    imp.job_id = job.id
    if job.state == "failed":  # the broker refused it: the import is as it was, with why
        imp.status, imp.message = before, job.error_text or ""
    session.commit()
    return job


def import_task(job: JobHandle, import_id: int, step: str, locale: str | None = None) -> str:
    """The background job: one ``step`` of import ``import_id`` for the job's owner."""
    if not locale:
        return _import_job(job, import_id, step)
    with force_locale(locale):
        return _import_job(job, import_id, step)


def _import_job(job: JobHandle, import_id: int, step: str) -> str:
    session = get_session()
    imp = session.get(TabularImport, import_id)
    if imp is None:
        raise DomainError(f"import {import_id} does not exist")
    if imp.status != RUNNING[step]:  # a message delivered twice: the step ran already
        return _l("Import %(id)s is %(status)s; nothing to do", id=import_id, status=imp.status)
    try:
        return _step(job, session, imp, step)
    except (DomainError, TabularError) as exc:
        _failed(session, import_id, step, str(exc))
        raise DomainError(str(exc)) from None
    except Exception:
        log.exception("import %s failed in step %s", import_id, step,
                      extra={"import_id": import_id, "job_id": job.id})
        _failed(session, import_id, step, _(
            "The import stopped because of an unexpected error. An administrator can find "
            "import %(id)d in the log.", id=import_id))
        raise


def _failed(session: Any, import_id: int, step: str, message: str) -> None:
    session.rollback()
    values: dict[str, Any] = {"status": "done", "message": message[:1000]}
    if step != "undo":  # an undo that fails leaves the import as it was (done)
        values.update(status="failed", finished_at=utcnow())
    session.execute(update(TabularImport).where(TabularImport.id == import_id)
                    .values(**values))
    session.commit()


def _step(job: JobHandle, session: Any, imp: TabularImport, step: str) -> str:
    spec = get_spec(imp.spec)
    if step == "read":
        return _read(session, spec, imp)
    if step == "undo":
        result = undo_import(session, spec, imp, user_id=job.owner_id)
        return _l("%(removed)d removed, %(restored)d restored, %(skipped)d left",
                  removed=result.removed, restored=result.restored, skipped=result.skipped)

    def progress(fraction: float, counts: ImportCounts) -> None:
        job.progress(fraction * 100, _l("%(count)d rows", count=counts.total))

    counts = run_import(session, spec, imp, dry_run=step == "check", user_id=job.owner_id,
                        progress=progress, resume=job.resumed)
    return _l("%(total)d rows: %(created)d created, %(updated)d updated, %(skipped)d skipped, "
              "%(failed)d failed", total=counts.total, created=counts.created,
              updated=counts.updated, skipped=counts.skipped, failed=counts.failed)


def _read(session: Any, spec: Any, imp: TabularImport) -> str:
    """The read step. Another sheet the user chose that cannot be read leaves the import as
    it was before the choice (its ``earlier`` mapping), saying why, instead of failing it."""
    earlier, asked = imp.mapping.get("earlier"), str(imp.mapping.get("sheet") or "")
    try:
        read_header(spec, imp, template_mapping(session, imp.mapping.get("template_id"),
                                                imp.user_id))
    except TabularError as exc:
        if not earlier:
            raise
        session.rollback()
        imp.mapping, imp.status = earlier, "uploaded"
        imp.message = _("The sheet %(name)s cannot be imported: %(reason)s The columns below "
                        "are still those of the sheet %(earlier)s.", name=asked,
                        reason=exc, earlier=earlier.get("sheet", ""))[:1000]
        session.commit()
        return imp.message
    imp.message = ""
    session.commit()
    return _l("%(count)d columns", count=len(imp.mapping["headers"]))


# A working import's status after a reset, by the step its job ran: the last state the
# wizard can go on from (a dead run's check still holds; a dead undo leaves the import done).
RESET_TO = {"read": "uploaded", "check": "uploaded", "run": "checked", "undo": "done"}
STALE_MINUTES = 30  # default of CRM_IMPORT_STALE_MINUTES


def _job_step(job: Job | None, imp: TabularImport) -> str:
    """The step the import's job ran (from the job's kind; a guess by status without one)."""
    by_kind = {kind: step for step, kind in KINDS.items()}
    if job is not None and job.kind in by_kind:
        return by_kind[job.kind]
    return {"reading": "read", "undoing": "undo"}.get(imp.status, "check")


def resettable(session: Any, imp: TabularImport, stale_minutes: int = STALE_MINUTES) -> bool:
    """Whether a working import (reading, running, undoing) is stuck: its job is gone,
    finished or failed, or has shown no progress for ``stale_minutes`` (its worker died)."""
    if imp.status not in RUNNING.values():
        return False
    job = session.get(Job, imp.job_id) if imp.job_id else None
    if job is None or job.finished:
        return True
    moved = job.updated_at or job.created_at
    if moved is not None and moved.tzinfo is None:
        moved = moved.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
    return moved is None or utcnow() - moved > dt.timedelta(minutes=stale_minutes)


def reset_import(session: Any, imp: TabularImport, *, user_id: int,
                 locale: str | None = None) -> str:
    """Set a stuck import back to the status it can go on from (``RESET_TO``), fail its
    job, log it; a stuck read is queued again (nothing else reads the header). Returns the
    new status. The caller checks ``resettable`` and that the user owns the import."""
    job = session.get(Job, imp.job_id) if imp.job_id else None
    step, before = _job_step(job, imp), imp.status
    if job is not None and not job.finished:
        job.state, job.finished_at = "failed", utcnow()
        job.error = _("Stopped: its import was reset.")
    imp.status = RESET_TO[step]
    if step == "run":  # a large load may have stopped with its list indexes dropped
        spec = get_spec(imp.spec)
        restore_indexes(session, spec.model.__table__, spec.deferred_indexes)
    if step == "undo":
        imp.message = _("The undo stopped before it finished; you can undo again.")
    record_event("import_reset", _l("Import %(id)s reset from %(before)s to %(after)s",
                                     id=imp.id, before=before, after=imp.status),
                 model=TabularImport, record_id=imp.id, session=session,
                 changes={"status": [before, imp.status], "job": imp.job_id})
    session.commit()
    if step == "read":
        start_import_job(imp, "read", owner_id=user_id, locale=locale)
    return imp.status


EXPORT_TASK = "core.tabular_export"


def export_task(job: JobHandle, spec_id: str, fmt: str, locale: str | None = None) -> str:
    """The export job: the spec's records the job's owner may see, to a CSV or XLSX file
    the owner downloads from the job's page; one ``export`` entry in the log."""
    with force_locale(locale or "en"):
        spec = get_spec(spec_id)
        session = get_session()
        headers, batches = spec_rows(spec, session, job.owner_id)
        path = job_files_dir() / f"export-{spec.id}-{job.id}.{fmt}"
        count = write_table(path, fmt, headers, batches, sheet_title=str(spec.title),
                            progress=lambda done: job.progress(0, _l("%(count)d rows", count=done)))
        job.result_file(str(path))
        record_event("export", _l("Exported %(count)d rows as %(format)s", count=count,
                                  format=fmt.upper()), model=spec.model,
                     session=session, changes={"spec": spec.id, "format": fmt, "rows": count})
        session.commit()
        return _l("Exported %(count)d rows", count=count)


def start_export_job(spec_id: str, fmt: str, *, owner_id: int, locale: str | None = None
                     ) -> Any:
    """Queue an export of ``spec_id``'s records as ``fmt`` ("csv", "xlsx") for ``owner_id``."""
    if fmt not in TABLE_FORMATS:
        raise DomainError(_("Export as csv or xlsx."))
    return start_job(EXPORT_TASK, kind=N_("Export"), owner_id=owner_id, spec_id=spec_id,
                     fmt=fmt, locale=locale)


def celery_tasks() -> list[TaskSpec]:
    """The kernel's import and export jobs (``core.tabular_import``, ``core.tabular_export``)."""
    return [TaskSpec("tabular_import", import_task, job=True),
            TaskSpec("tabular_export", export_task, job=True)]
