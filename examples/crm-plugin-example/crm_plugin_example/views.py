"""The notes pages: list (newest first, keyset pages), one note, add, and an export job.

Every query passes through ``scoped``/``get_scoped_or_404``: a note outside the user's data
scope is not listed, and its own page answers 404. Every write route (each non-GET route)
is its own view guarded by a write permission, never a read permission plus a check inside.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm_core.toolkit import (
    DomainError,
    db,
    get_scoped_or_404,
    require_permission,
    start_job,
)

from . import services
from .forms import NoteForm
from .models import Note
from .plugin import N_

bp = Blueprint("example", __name__, template_folder="templates", url_prefix="/example")


@bp.get("/notes")
@require_permission("example.note.view")
def notes():  # type: ignore[no-untyped-def]
    """List the newest notes the user may see (with the add form for those allowed)."""
    return _notes_page(NoteForm())


@bp.post("/notes")
@require_permission("example.note.create")
def add_note():  # type: ignore[no-untyped-def]
    """Add a note; on an error show the list again with the form's errors (400)."""
    form = NoteForm()
    if form.validate_on_submit():
        try:
            services.add_note(db.session, form.title.data, form.body.data,
                              owner_id=current_user.id,
                              department_id=current_user.department_id)
        except DomainError as exc:
            form.title.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Note added."), "success")
            return redirect(url_for("example.notes"))
    return _notes_page(form, status=400)


def _notes_page(form: NoteForm, status: int = 200):  # type: ignore[no-untyped-def]
    """The list page (a page of notes below ``?before=``) with ``form``, answered ``status``."""
    before = request.args.get("before", type=int)
    rows, next_before = services.list_notes(db.session, user=current_user, before=before)
    return render_template("example/notes.html", form=form, notes=rows,
                           next_before=next_before, first_page=before is None), status


@bp.get("/notes/<int:note_id>")
@require_permission("example.note.view")
def note(note_id: int):  # type: ignore[no-untyped-def]
    """One note; 404 when it does not exist or lies outside the user's data scope."""
    return render_template("example/note.html", note=get_scoped_or_404(Note, note_id))


@bp.post("/notes/export")
@require_permission("example.note.export")
def export():  # type: ignore[no-untyped-def]
    """Export the notes the user may see to CSV in the background; show the job's progress."""
    job = start_job("example.export_notes", kind=N_("Export notes"), owner_id=current_user.id)
    return redirect(url_for("core_jobs.job_page", job_id=job.id))
