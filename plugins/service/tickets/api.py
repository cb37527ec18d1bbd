"""``POST /api/v1/service/tickets/<ticket_id>/state``: move a ticket to another state.

The body is ``{"state": ..., "assignee_id"?: ..., "version"?: ...}``. A move the states do
not allow answers 422 problem+json naming ``state`` (assigning without an assignee names
``assignee_id``); a ``version`` older than the ticket's 409; a ticket outside the caller's
scope 404. A part of the service plugin: ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from crm_core.toolkit import api_endpoint, get_scoped_or_404, get_session

from ..models import Ticket
from ..permissions import TICKET_EDIT
from .schemas import ServiceTicketOut, StateIn
from .states import change_state

api = Blueprint("service_ticket_state_api", __name__)


def blueprints() -> list[Blueprint]:
    """The state API's blueprint."""
    return [api]


@api_endpoint(api, "/api/v1/service/tickets/<int:ticket_id>/state", methods=["POST"],
              permission=TICKET_EDIT, body=StateIn, response=ServiceTicketOut,
              tags=["service"], endpoint="state")
def move_state(body: dict[str, Any], ticket_id: int) -> Ticket:
    """Move a ticket along its states; 422 names a move that is not allowed, 409 a stale
    version."""
    session = get_session()
    ticket = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    change_state(session, ticket, body["state"], current_user,
                 assignee_id=body.get("assignee_id"), version=body.get("version"))
    session.commit()
    return ticket
