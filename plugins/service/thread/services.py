"""Writing in a ticket's conversation: a reply to the customer (an e-mail through the kernel
outbox, in the same transaction) or an internal note (never sent), with files.

A reply needs the customer's address (``recipients.customer_address``): without one it is
refused, naming ``kind``, so that no "reply" sits on the ticket that the customer never
gets (the agent can write a note instead). The first reply is the ticket's first response;
a reply on a new or assigned ticket moves it to in progress (a new one is assigned to its
author first, unless it has an assignee), and "wait for the customer" then moves it to
waiting on customer. Every write is an ORM write of an audited model; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, attachments, send_mail, utcnow

from ..models import CannedReply, Ticket, TicketMessage
from ..tickets.services import TicketError
from ..tickets.states import change_state
from . import merge
from .recipients import Recipient, customer_address

KINDS = ("reply", "note")
MAX_BODY = 20_000
MAX_FILES = 5
#: The attachment kind of a message's files (registered by ``thread.panel``).
MESSAGE_FILES = "service.ticket_message"
_NAME_BREAKERS = str.maketrans("", "", '"<>,;\\\r\n\t')


def active_canned_replies(session: Session) -> list[tuple[int, str]]:
    """``(id, title)`` of the active canned replies, by title (a short list)."""
    return [(row.id, row.title) for row in session.execute(
        select(CannedReply.id, CannedReply.title).where(CannedReply.is_active.is_(True))
        .order_by(CannedReply.title, CannedReply.id).limit(200))]


def canned_text(session: Session, ticket: Ticket, canned_reply_id: Any, agent: Any) -> str:
    """The active canned reply ``canned_reply_id`` with its merge fields filled for
    ``ticket`` and ``agent``; ``TicketError`` on ``canned_reply_id`` for none or a broken
    one."""
    canned = session.get(CannedReply, canned_reply_id) \
        if isinstance(canned_reply_id, int) else None
    if canned is None or not canned.is_active:
        raise TicketError("canned_reply_id", _("Not a valid choice."))
    try:
        return merge.render(canned.body, merge.merge_values(session, ticket, agent))
    except TicketError as error:
        raise TicketError("canned_reply_id", str(error)) from None


def _address(recipient: Recipient) -> str:
    name = " ".join(recipient.name.translate(_NAME_BREAKERS).split())
    return f"{name} <{recipient.email}>" if name else recipient.email


def reply_subject(ticket: Ticket) -> str:
    """The mail subject of a reply on ``ticket``: its subject and number, one line."""
    subject = " ".join(ticket.subject.split())
    return _("Re: %(subject)s [%(number)s]", subject=subject, number=ticket.number)[:300]


def _move_on_reply(session: Session, ticket: Ticket, user: Any, wait: bool) -> None:
    if ticket.state == "new":
        change_state(session, ticket, "assigned", user,
                     assignee_id=None if ticket.assignee_id else user.id)
    if ticket.state == "assigned":
        change_state(session, ticket, "in_progress", user)
    if wait and ticket.state == "in_progress":
        change_state(session, ticket, "waiting_on_customer", user)


def _check(ticket: Ticket, body: str, kind: str, wait: bool, files: list[Any]) -> None:
    if kind not in KINDS:
        raise TicketError("kind", _("Not a valid choice."))
    if not body.strip():
        raise TicketError("body", _("Write the message, or choose a canned reply."))
    if len(body) > MAX_BODY:
        raise TicketError("body", _("A message holds at most %(count)s characters.",
                                    count=format(MAX_BODY, ",")))
    if wait and (kind != "reply" or ticket.state in ("resolved", "closed")):
        raise TicketError("wait", _("Only a reply on an open ticket can wait for the "
                                    "customer."))
    if len(files) > MAX_FILES:
        raise TicketError("files", _("Attach at most %(count)s files to a message.",
                                     count=MAX_FILES))


def post_message(session: Session, ticket: Ticket, user: Any, *, body: str = "",
                 kind: str = "reply", wait: bool = False, canned_reply_id: Any = None,
                 files: Iterable[tuple[BinaryIO, str | None]] = ()) -> TicketMessage:
    """Add a reply or a note by ``user`` to ``ticket`` (which the caller found in the user's
    scope). An empty ``body`` takes the canned reply ``canned_reply_id`` with its merge fields
    filled (a written one wins); ``files`` are ``(stream, file name)`` pairs attached to the
    message. A reply is queued in the outbox of the current session (``toolkit.send_mail``
    writes to ``get_session()``; sent after commit). Raises ``TicketError`` naming the field
    (``body``, ``kind``, ``wait``, ``canned_reply_id``, ``files``)."""
    files = list(files)
    if canned_reply_id is not None:  # checked even when a body was written over it
        canned = canned_text(session, ticket, canned_reply_id, user)
        body = body if (body or "").strip() else canned
    body = (body or "").replace("\r\n", "\n")
    _check(ticket, body, kind, wait, files)
    recipient = customer_address(session, ticket) if kind == "reply" else None
    if kind == "reply" and recipient is None:
        raise TicketError("kind", _("The customer has no contact with an e-mail address, so "
                                    "the reply cannot be sent. Add an address to the "
                                    "request's contact or another contact of the customer, "
                                    "or write an internal note."))
    message = TicketMessage(ticket_id=ticket.id, kind=kind, body=body, author_id=user.id,
                            delivery_state="queued" if recipient else "none",
                            subject=reply_subject(ticket) if recipient else "")
    session.add(message)
    session.flush()
    if recipient is not None:
        try:
            row = send_mail(_address(recipient), message.subject, body,
                            idempotency_key=f"service.ticket_reply:{message.id}")
        except DomainError:  # an address the mail channel refuses
            raise TicketError("kind", _("The customer's e-mail address %(address)s is not "
                                        "valid: correct it on the contact.",
                                        address=recipient.email)) from None
        message.outbox_message_id = row.id
        if ticket.first_responded_at is None:
            ticket.first_responded_at = utcnow()
        _move_on_reply(session, ticket, user, wait)
    for stream, name in files:
        try:
            attachments.attach(session, kind=MESSAGE_FILES, record_id=message.id,
                               stream=stream, file_name=name, user_id=user.id)
        except DomainError as error:
            raise TicketError("files", f"{name}: {error}") from None
    session.flush()
    return message
