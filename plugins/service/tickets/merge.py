"""Merging duplicate tickets: the customer called twice about one thing.

The duplicate (``source``) is closed and its conversation moves to the ticket that stays
(``target``): the messages are re-pointed, each by the ORM so the operation log shows the
move, and both tickets get an internal note naming the other. Both must be live, the
caller's to see, of one customer, and still open; the target keeps its own due times and
SLA. The page's merge form (a panel of the ticket page, behind a confirmation) and
``POST /api/v1/service/tickets/<ticket_id>/merge {"into": <id>}`` both call
``merge_tickets``. A part of the service plugin: ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    Id,
    api_endpoint,
    get_scoped_or_404,
    get_session,
    record_event,
    require_permission,
    scoped,
    utcnow,
)

from ..customer.flags import sync_for_ticket
from ..models import OPEN_STATES, Ticket, TicketMessage
from ..permissions import TICKET_EDIT
from .schemas import ServiceTicketOut
from .services import TicketError

pages = Blueprint("service_ticket_merge", __name__)
api = Blueprint("service_ticket_merge_api", __name__)
#: Open tickets of the same customer offered as merge targets on the page.
CANDIDATES = 20


def blueprints() -> list[Blueprint]:
    """The merge form's and the merge API's blueprints."""
    return [pages, api]


def merge_candidates(session: Session, ticket: Ticket, user: Any) -> list[Ticket]:
    """The other open tickets of ``ticket``'s customer that ``user`` may see, newest first."""
    if ticket.state not in OPEN_STATES:
        return []
    found = select(Ticket).where(
        Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id,
        Ticket.deleted_at.is_(None), Ticket.state.in_(OPEN_STATES))
    return list(session.scalars(scoped(found, Ticket, user).order_by(Ticket.id.desc())
                                .limit(CANDIDATES)))


def merge_tickets(session: Session, source: Ticket, target: Ticket, user: Any) -> Ticket:
    """Close ``source`` as a duplicate of ``target`` and move its messages there; the
    target. Refused (``TicketError`` naming ``into``) for the same ticket, another customer's,
    or a ticket that is no longer open."""
    if source.id == target.id:
        raise TicketError("into", _("A ticket cannot be merged into itself."))
    if source.customer_id != target.customer_id:
        raise TicketError("into", _("Only tickets of the same customer can be merged."))
    if source.state not in OPEN_STATES or target.state not in OPEN_STATES:
        raise TicketError("into", _("Only open tickets can be merged; reopen a resolved one "
                                    "first."))
    for message in session.scalars(select(TicketMessage).where(
            TicketMessage.ticket_id == source.id)):
        message.ticket_id = target.id
    author = getattr(user, "id", None)
    session.add_all([
        TicketMessage(ticket_id=target.id, kind="note", author_id=author,
                      body=_("Ticket %(number)s was merged into this one.",
                             number=source.number)),
        TicketMessage(ticket_id=source.id, kind="note", author_id=author,
                      body=_("Merged into ticket %(number)s.", number=target.number))])
    source.state = "closed"
    source.closed_at = utcnow()
    session.flush()
    record_event("merge", _l("Ticket %(source)s merged into %(target)s", source=source.number,
                             target=target.number),
                 model=Ticket, record_id=source.id, changes={"into": target.id},
                 session=session)
    sync_for_ticket(session, source)
    return target


@pages.post("/service/tickets/<int:ticket_id>/merge")
@require_permission(TICKET_EDIT)
def merge_page(ticket_id: int) -> Response:
    """Merge this ticket into the one chosen on its page, and open that one."""
    session = get_session()
    source = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    into = (request.form.get("into") or "").strip()
    target = get_scoped_or_404(Ticket, int(into), live_only=True) \
        if into.isdigit() and len(into) <= 10 else None
    if target is None:
        flash(_("Choose the ticket to merge this one into."), "danger")
        return redirect(url_for("service_tickets.detail", ticket_id=ticket_id))
    try:
        merge_tickets(session, source, target, current_user)
    except TicketError as error:
        session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("service_tickets.detail", ticket_id=ticket_id))
    session.commit()
    flash(_("Ticket %(source)s was merged into %(target)s.", source=source.number,
            target=target.number), "success")
    return redirect(url_for("service_tickets.detail", ticket_id=target.id))


class MergeIn(Schema):
    """``{"into": <ticket id>}``: the ticket that stays."""

    into = Id(required=True, metadata={"description": "the ticket that stays"})


@api_endpoint(api, "/api/v1/service/tickets/<int:ticket_id>/merge", methods=["POST"],
              permission=TICKET_EDIT, body=MergeIn, response=ServiceTicketOut,
              tags=["service"], endpoint="merge")
def merge_api(body: dict[str, Any], ticket_id: int) -> Ticket:
    """Close this ticket as a duplicate of ``into`` and move its messages there; the ticket
    that stays. 404 for a ticket the caller may not see; 422 naming ``into`` otherwise."""
    session = get_session()
    source = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    target = get_scoped_or_404(Ticket, body["into"], live_only=True)
    merge_tickets(session, source, target, current_user)
    session.commit()
    return target
