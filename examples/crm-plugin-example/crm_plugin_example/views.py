"""The notes page: list, add, and start an export job."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from crm_core.toolkit import DomainError, db, require_permission, start_job

from . import services
from .forms import NoteForm
from .models import Note

bp = Blueprint("example", __name__, template_folder="templates", url_prefix="/example")


@bp.route("/notes", methods=["GET", "POST"])
@require_permission("example.note.view")
def notes():  # type: ignore[no-untyped-def]
    """List the newest notes and, for those allowed, add one."""
    form = NoteForm()
    if form.validate_on_submit():
        if not current_user.has_permission("example.note.create"):
            flash("You may not add notes.", "error")
            return redirect(url_for("example.notes"))
        try:
            services.add_note(db.session, form.title.data, form.body.data)
        except DomainError as exc:
            form.title.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Note added.", "success")
            return redirect(url_for("example.notes"))
    rows = db.session.scalars(select(Note).order_by(Note.id.desc()).limit(50)).all()
    status = 400 if form.errors else 200
    return render_template("example/notes.html", form=form, notes=rows), status


@bp.post("/notes/export")
@require_permission("example.note.view")
def export():  # type: ignore[no-untyped-def]
    """Export every note to CSV in the background and show the job's progress."""
    job = start_job("example.export_notes", kind="Export notes", owner_id=current_user.id)
    return redirect(url_for("core_jobs.job_page", job_id=job.id))
