"""The job progress page and its JSON API."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from ..api.endpoint import api_endpoint
from ..api.schemas import JobOut
from ..auth.permissions import require_permission
from ..db import get_session
from .models import Job

bp = Blueprint("core_jobs", __name__)


def _visible_job(job_id: int) -> Job:
    """The job if the current user started it (or is a superuser); 404 otherwise."""
    job = get_session().get(Job, job_id)
    if job is None or not (current_user.is_superuser or job.owner_id == current_user.id):
        abort(404)
    return job


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
    """A background job: state, progress, message, result file, error, times.

    Only the user who started it (or a superuser) sees it; anyone else gets 404.
    """
    return _visible_job(job_id)
