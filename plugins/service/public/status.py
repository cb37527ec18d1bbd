"""What a customer sees of their request behind the signed status link, and the e-mail that
sends them the link.

Only what the customer told us and what we told them: the reference, the subject, when it
came in, each ticket's state in plain words, and the replies sent to them (with the agent's
first name only). Never internal notes, the team, other people's names or other customers'
data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import LinkInvalid, model_for_table, plugin_config, read_link, send_mail

from ..models import ServiceRequest, Ticket, TicketMessage
from .services import LINK_PURPOSE

#: A ticket's state as the customer reads it.
CUSTOMER_STATES = {"new": _l("Request received"), "assigned": _l("Being handled"),
                   "in_progress": _l("Being handled"),
                   "waiting_on_customer": _l("Waiting for your answer"),
                   "resolved": _l("Resolved"), "closed": _l("Closed")}
DEFAULT_LINK_DAYS = 365


@dataclass(frozen=True)
class Reply:
    """A reply sent to the customer: when, who (first name), what."""

    sent_at: dt.datetime
    author: str
    body: str


@dataclass(frozen=True)
class TicketStatus:
    """One ticket of the request as the customer reads it."""

    number: str
    state: str
    state_label: str
    replies: tuple[Reply, ...]


def first_name(name: str) -> str:
    """The part of a staff member's name a customer sees: the first word of a Western
    name, the given name of a Chinese one (王晓燕 → 晓燕)."""
    name = " ".join((name or "").split())
    if " " in name:
        return name.split(" ", 1)[0]
    if len(name) >= 2 and all("\u4e00" <= char <= "\u9fff" for char in name):
        return name[1:]
    return name


def request_of_token(session: Session, token: str) -> ServiceRequest:
    """The live request a status token names; ``LinkInvalid``/``LinkExpired`` otherwise
    (a request moved to the trash reads as an invalid link)."""
    days = int(plugin_config("service", "status_link_days", DEFAULT_LINK_DAYS))
    payload = read_link(LINK_PURPOSE, token, max_age=dt.timedelta(days=days))
    request_id = payload.get("request") if isinstance(payload, dict) else None
    request = session.get(ServiceRequest, request_id) \
        if isinstance(request_id, int) and not isinstance(request_id, bool) else None
    if request is None or request.deleted_at is not None:
        raise LinkInvalid(_("This link is not valid."))
    return request


def _display_names(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    """Staff display names (never the user name, a sign-in identifier)."""
    wanted = sorted(user_id for user_id in user_ids if user_id is not None)
    if not wanted:
        return {}
    user = model_for_table("core_user")
    rows = session.execute(select(user.id, user.display_name).where(user.id.in_(wanted)))
    return {row.id: row.display_name or "" for row in rows}


def ticket_statuses(session: Session, request: ServiceRequest) -> list[TicketStatus]:
    """The request's tickets (not in the trash) with their states and the replies sent."""
    tickets = session.scalars(select(Ticket).where(Ticket.request_id == request.id,
                                                   Ticket.deleted_at.is_(None))
                              .order_by(Ticket.id)).all()
    messages = session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id.in_([ticket.id for ticket in tickets]),
        TicketMessage.kind == "reply").order_by(TicketMessage.id)).all() if tickets else []
    names = _display_names(session, {message.author_id for message in messages})
    replies: dict[int, list[Reply]] = {}
    for message in messages:
        replies.setdefault(message.ticket_id, []).append(Reply(
            message.created_at, first_name(names.get(message.author_id, "")), message.body))
    return [TicketStatus(ticket.number, ticket.state,
                         str(CUSTOMER_STATES.get(ticket.state, ticket.state)),
                         tuple(replies.get(ticket.id, ()))) for ticket in tickets]


def mail_status_link(request: ServiceRequest, url: str) -> Any:
    """Queue the e-mail with the status link to the requester's address (when one was
    given; once per request); None without an address."""
    if not request.requester_email:
        return None
    greeting = _("Hello %(name)s,", name=request.requester_name)
    text = "\n\n".join([
        greeting,
        _("we have received your request %(number)s: %(subject)s",
          number=request.number, subject=request.subject),
        _("You can follow it here:\n%(url)s", url=url),
        _("Please keep this link to yourself: anyone with it can read the request.")])
    return send_mail(request.requester_email,
                     _("Your request %(number)s", number=request.number), text,
                     idempotency_key=f"service.public_status:{request.id}")
