"""The reply form's routes: ``GET /service/tickets/<ticket_id>/reply`` (the form on a page
of its own; ``?canned_reply_id=`` fills the message with a canned reply, which works without
JavaScript) and ``POST`` (a reply or a note, with files). A refused message shows the form
again with the reason under its field (400); a written one returns to the ticket's page.
A part of the service plugin: ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm_core.toolkit import get_scoped_or_404, get_session, require_permission, upload_limit

from ..models import Ticket
from ..permissions import TICKET_EDIT
from ..tickets.services import TicketError
from .forms import ReplyForm
from .panel import thread_context
from .services import MAX_FILES, canned_text, post_message

bp = Blueprint("service_thread_pages", __name__, template_folder="../templates")


def blueprints() -> list[Blueprint]:
    """The reply form's blueprint and the replies API."""
    from .api import api

    return [bp, api]


def _me() -> Any:
    return current_user._get_current_object()  # noqa: SLF001 - Flask-Login's proxy


def _page(ticket: Ticket, form: ReplyForm, status: int = 200) -> Any:
    return render_template("service/thread/reply.html", ticket=ticket, record=ticket,
                           data=thread_context(ticket, form)), status


def _files_limit() -> float:
    return MAX_FILES * float(current_app.config.get("CRM_MAX_UPLOAD_MB", 20)) + 1


def _whole_number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 10 else None


@bp.get("/service/tickets/<int:ticket_id>/reply")
@require_permission(TICKET_EDIT)
def reply_form(ticket_id: int) -> Any:
    """The reply form; ``?canned_reply_id=`` starts the message from that canned reply."""
    ticket = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    form = ReplyForm(formdata=None)
    chosen = request.args.get("canned_reply_id")
    if chosen:
        try:
            form.body.data = canned_text(get_session(), ticket, _whole_number(chosen), _me())
        except TicketError as error:
            form.body.errors = [str(error)]
            return _page(ticket, form, 400)
    return _page(ticket, form)


@bp.post("/service/tickets/<int:ticket_id>/reply")
@require_permission(TICKET_EDIT)
@upload_limit(_files_limit)
def post_reply(ticket_id: int) -> Any:
    """Write a reply to the customer (queued in the outbox) or an internal note."""
    session = get_session()
    ticket = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    form = ReplyForm()
    if not form.validate():
        return _page(ticket, form, 400)
    files = [(upload.stream, upload.filename) for upload in request.files.getlist("files")
             if upload.filename]
    try:
        message = post_message(session, ticket, _me(), body=form.body.data or "",
                               kind=form.kind.data, wait=form.wait.data, files=files)
    except TicketError as error:
        session.rollback()
        field = getattr(form, error.field or "body", form.body)
        field.errors = [*field.errors, str(error)]
        return _page(get_scoped_or_404(Ticket, ticket_id, live_only=True), form, 400)
    session.commit()
    flash(_("Reply queued for the customer; its delivery shows in the conversation.")
          if message.kind == "reply" else _("Note added."), "success")
    return redirect(url_for("service_tickets.detail", ticket_id=ticket_id) + "#conversation")
