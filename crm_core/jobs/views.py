"""The jobs page (the user's own jobs), a job's progress page and its JSON API."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user
from werkzeug.utils import secure_filename

from ..api.endpoint import api_endpoint
from ..api.pagination import paginate
from ..api.schemas import JobOut
from ..auth.permissions import require_permission
from ..db import get_session
from .models import Job
from .service import job_files_dir, jobs_of

bp = Blueprint("core_jobs", __name__)
log = logging.getLogger(__name__)


def _visible_job(job_id: int) -> Job:
    """The job if the current user started it (or is a superuser); 404 otherwise."""
    job = get_session().get(Job, job_id)
    if job is None or not (current_user.is_superuser or job.owner_id == current_user.id):
        abort(404)
    return job


@bp.get("/jobs")
@require_permission("core.job.view")
def jobs_page():  # type: ignore[no-untyped-def]
    """The signed-in user's jobs, newest first, a keyset page at a time: state, progress,
    when each started and finished (in the user's zone) and its file to download."""
    page = paginate(get_session(), jobs_of(current_user.id), descending=True)
    return render_template("core/jobs/index.html", page=page)


@bp.get("/jobs/<int:job_id>")
@require_permission("core.job.view")
def job_page(job_id: int):  # type: ignore[no-untyped-def]
    """A page with the job's live progress bar."""
    return render_template("core/job.html", job=_visible_job(job_id))


@bp.get("/jobs/<int:job_id>/progress")
@require_permission("core.job.view")
def job_progress(job_id: int):  # type: ignore[no-untyped-def]
    """The progress fragment the page polls (htmx) until the job finishes."""
    return render_template("core/_job_progress.html", job=_visible_job(job_id))


@api_endpoint(bp, "/api/v1/jobs/<int:job_id>", permission="core.job.view", response=JobOut,
              tags=["jobs"])
def job_api(job_id: int) -> Job:
    """A background job: state, progress, message, download URL, error, times.

    Only the user who started it (or a superuser) sees it; anyone else gets 404.
    """
    return _visible_job(job_id)


def job_file(job: Job) -> Path | None:
    """The job's result file if it is done and the file is inside the jobs folder, else None.

    A path outside the folder (a row edited by hand, a folder moved by a new setting) is
    never served, and is logged.
    """
    if not job.has_download:
        return None
    folder = job_files_dir().resolve()
    path = Path(job.result_file or "").resolve()
    if not path.is_relative_to(folder):
        log.warning("job %s: result file outside the jobs folder refused", job.id,
                    extra={"job_id": job.id})
        return None
    return path if path.is_file() else None


@bp.get("/jobs/<int:job_id>/download")
@require_permission("core.job.view")
def download(job_id: int) -> Any:
    """Download a finished job's file: its owner (or a superuser) only, 404 for anyone else."""
    job = _visible_job(job_id)
    path = job_file(job)
    if path is None:
        abort(404)
    name = secure_filename(path.name) or f"job-{job.id}"
    return send_file(path, as_attachment=True, download_name=name, max_age=0)
