"""The job progress page and its JSON API."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template
from flask_login import current_user

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


@bp.get("/api/v1/jobs/<int:job_id>")
@require_permission("core.job.view")
def job_api(job_id: int):  # type: ignore[no-untyped-def]
    """The job as JSON: state, progress, message, result file, error, times."""
    return jsonify(_visible_job(job_id).to_dict())
