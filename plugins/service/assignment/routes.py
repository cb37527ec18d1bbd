"""Assigning from the ticket's page, the API and the command line (a part of the service
plugin: ``blueprints()``, ``cli_commands()``):

- ``POST /service/tickets/<ticket_id>/assign``: the assignment panel's form; an
  ``assignee_id`` reassigns, none assigns automatically;
- ``POST /api/v1/service/tickets/<ticket_id>/assign``: ``{"assignee_id"?, "version"?}``
  the same, 422 naming the refused field, 409 on a stale version;
- ``GET /api/v1/service/tickets/queues``: how many tickets each queue holds for the caller;
- ``crm service assign --ticket N``: assign a new ticket automatically.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    INT32_MAX,
    Id,
    api_endpoint,
    count_rows,
    db,
    get_scoped_or_404,
    get_session,
    require_permission,
    scoped,
    system_context,
    user_names,
)

from ..models import Ticket
from ..permissions import TICKET_EDIT, TICKET_VIEW
from ..tickets.schemas import ServiceTicketOut
from ..tickets.services import TicketError
from .actions import assign_automatically, reassign
from .queues import queue_presets

bp = Blueprint("service_assignment", __name__)


class AssignIn(Schema):
    """Whom to give the ticket to (none: automatically) and the version read."""

    assignee_id = Id(allow_none=True, load_default=None,
                     metadata={"description": "Empty: the team's mode picks an available "
                                              "member (a new, unassigned ticket)."})
    version = fields.Integer(load_default=None, allow_none=True,
                             validate=validate.Range(1, INT32_MAX))


def _whole_number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 10 and int(text) <= INT32_MAX \
        else None


def _assign(session: Any, ticket: Ticket, assignee_id: int | None,
            version: int | None) -> Ticket:
    if assignee_id is None:
        return assign_automatically(session, ticket, current_user, version=version)
    return reassign(session, ticket, assignee_id, current_user, version=version)


@bp.post("/service/tickets/<int:ticket_id>/assign")
@require_permission(TICKET_EDIT)
def assign_page(ticket_id: int) -> Response:
    """Reassign the ticket, or assign it automatically, and return to its page."""
    session = get_session()
    ticket = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    try:
        _assign(session, ticket, _whole_number(request.form.get("assignee_id")),
                _whole_number(request.form.get("version")))
    except TicketError as error:
        session.rollback()
        flash(str(error), "danger")
    else:
        session.commit()
        name = user_names(session, [ticket.assignee_id]).get(ticket.assignee_id, "")
        flash(_("Ticket %(number)s is assigned to %(name)s.", number=ticket.number,
                name=name), "success")
    return redirect(url_for("service_tickets.detail", ticket_id=ticket_id))


@api_endpoint(bp, "/api/v1/service/tickets/<int:ticket_id>/assign", methods=["POST"],
              permission=TICKET_EDIT, body=AssignIn, response=ServiceTicketOut,
              tags=["service"], endpoint="assign_api")
def assign_api(body: dict[str, Any], ticket_id: int) -> Ticket:
    """Reassign a ticket, or (no ``assignee_id``) assign a new one automatically."""
    session = get_session()
    ticket = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    _assign(session, ticket, body.get("assignee_id"), body.get("version"))
    session.commit()
    return ticket


class QueueOut(Schema):
    """One queue: its name (``?view=`` of the tickets list), label and how many tickets it
    holds: exact, or at least ``count`` (``exact`` false), or about ``count``
    (``estimated``)."""

    name = fields.String()
    label = fields.String()
    count = fields.Integer()
    exact = fields.Boolean()
    estimated = fields.Boolean()


class QueuesOut(Schema):
    """The caller's queues."""

    queues = fields.List(fields.Nested(QueueOut))


@api_endpoint(bp, "/api/v1/service/tickets/queues", permission=TICKET_VIEW,
              response=QueuesOut, tags=["service"], endpoint="queues_api")
def queues_api() -> dict[str, Any]:
    """How many tickets each queue (mine, team, unassigned, due_soon) holds for you."""
    session, found = get_session(), []
    for preset in queue_presets():
        listed = scoped(select(Ticket.id), Ticket, current_user).where(
            Ticket.deleted_at.is_(None), preset.condition(current_user))
        count = count_rows(session, listed)
        found.append({"name": preset.name, "label": str(preset.label), "count": count.value,
                      "exact": count.exact, "estimated": count.estimated})
    return {"queues": found}


@click.command("assign")
@click.option("--ticket", "ticket_id", type=click.IntRange(1, INT32_MAX), required=True,
              help="The ticket's id.")
def assign_command(ticket_id: int) -> None:
    """Assign a new, unassigned ticket automatically (its team's mode picks)."""
    session = db.session
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.deleted_at is not None:
        raise click.ClickException(f"There is no ticket {ticket_id}.")
    with system_context("assign"):
        try:
            assign_automatically(session, ticket, None)
        except TicketError as error:
            session.rollback()
            raise click.ClickException(str(error)) from None
    session.commit()
    name = user_names(session, [ticket.assignee_id]).get(ticket.assignee_id, "")
    click.echo(f"Ticket {ticket.number} is assigned to {name}.")


def blueprints() -> list[Blueprint]:
    """The assignment routes."""
    return [bp]


def cli_commands() -> list[Any]:
    """``crm service assign``."""
    return [assign_command]
