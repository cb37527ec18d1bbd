"""The ticket page's state buttons: ``POST /service/tickets/<ticket_id>/state`` moves the
ticket (assigning takes an assignee from the select beside the button) and returns to its
page with what happened. The blueprint also carries the plugin's templates. A part of the
service plugin: ``blueprints()``.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from crm_core.toolkit import get_scoped_or_404, get_session, require_permission

from ..models import Ticket
from ..models.choices import TICKET_STATE_LABELS
from ..permissions import TICKET_EDIT
from .services import TicketError
from .states import change_state

bp = Blueprint("service_ticket_pages", __name__, template_folder="../templates")


def blueprints() -> list[Blueprint]:
    """The ticket pages' blueprint."""
    return [bp]


def _whole_number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 10 else None


@bp.post("/service/tickets/<int:ticket_id>/state")
@require_permission(TICKET_EDIT)
def move_state(ticket_id: int) -> Response:
    """Move the ticket to the state of the button pressed."""
    session = get_session()
    ticket = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    state = request.form.get("state", "")
    try:
        change_state(session, ticket, state, current_user,
                     assignee_id=_whole_number(request.form.get("assignee_id")),
                     version=_whole_number(request.form.get("version")))
    except TicketError as error:
        session.rollback()
        flash(str(error), "danger")
    else:
        session.commit()
        flash(_("Ticket %(number)s is now %(state)s.", number=ticket.number,
                state=str(TICKET_STATE_LABELS[ticket.state]).lower()), "success")
    return redirect(url_for("service_tickets.detail", ticket_id=ticket_id))
