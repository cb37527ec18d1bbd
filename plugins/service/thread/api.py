"""``/api/v1/service/tickets/<ticket_id>/replies``: a ticket's conversation.

``GET`` lists its messages oldest first (keyset pages: ``limit``, ``cursor``); ``POST``
``{"body", "kind": "reply|note"?, "canned_reply_id"?, "wait"?}`` writes one and answers
201 with it. A reply goes to the customer by e-mail through the outbox (``delivery_state``
queued, then sent or failed as the outbox delivers it). Refusals are 422 problem+json naming
the field; another department's ticket answers 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from crm_core.toolkit import (
    Id,
    Page,
    UtcDateTime,
    api_endpoint,
    get_scoped_or_404,
    get_session,
    paginate,
)

from ..models import Ticket, TicketMessage
from ..permissions import TICKET_EDIT, TICKET_VIEW
from .delivery import Delivery, deliveries
from .panel import files_of
from .services import KINDS, MAX_BODY, post_message

api = Blueprint("service_thread_api", __name__)
PATH = "/api/v1/service/tickets/<int:ticket_id>/replies"


class ReplyIn(Schema):
    """A reply to the customer (default) or an internal note."""

    body = fields.String(load_default="", validate=validate.Length(max=MAX_BODY), metadata={
        "description": "The message; empty: the canned reply's text with its merge fields "
                       "filled."})
    kind = fields.String(load_default="reply", validate=validate.OneOf(KINDS))
    canned_reply_id = Id(load_default=None, allow_none=True)
    wait = fields.Boolean(load_default=False, metadata={
        "description": "After the reply, the ticket waits on the customer."})


class TicketFileOut(Schema):
    """A file attached to a message."""

    id = fields.Integer()
    file_name = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    content_url = fields.String()


class TicketMessageOut(Schema):
    """A message of a ticket's conversation."""

    id = fields.Integer()
    ticket_id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    body = fields.String()
    subject = fields.String(metadata={"description": "A reply's mail subject."})
    author_id = fields.Integer(allow_none=True)
    delivery_state = fields.String(metadata={
        "enum": ["none", "queued", "sent", "failed"],
        "description": "A reply's mail: queued, sent, failed (retried while a try is left); "
                       "none for a note."})
    delivery_problem = fields.String(allow_none=True)
    retry_at = UtcDateTime(allow_none=True)
    files = fields.List(fields.Nested(TicketFileOut))
    created_at = UtcDateTime()


def _views(messages: list[TicketMessage]) -> list[dict[str, Any]]:
    session = get_session()
    found, files = deliveries(session, messages), files_of(session, [m.id for m in messages])

    def view(message: TicketMessage) -> dict[str, Any]:
        delivery = found.get(message.id, Delivery("none"))
        return {"id": message.id, "ticket_id": message.ticket_id, "kind": message.kind,
                "body": message.body, "subject": message.subject,
                "author_id": message.author_id, "delivery_state": delivery.state,
                "delivery_problem": delivery.problem or None, "retry_at": delivery.retry_at,
                "created_at": message.created_at,
                "files": [{"id": row.id, "file_name": row.file_name, "size": row.size,
                           "content_type": row.content_type,
                           "content_url": url_for("core_files_api.content",
                                                  attachment_id=row.id)}
                          for row in files.get(message.id, [])]}

    return [view(message) for message in messages]


@api_endpoint(api, PATH, permission=TICKET_VIEW, response=TicketMessageOut, page=True,
              tags=["service"], endpoint="list_replies")
def list_replies(ticket_id: int) -> Page:
    """The ticket's messages, oldest first."""
    get_scoped_or_404(Ticket, ticket_id, live_only=True)
    page = paginate(get_session(), select(TicketMessage).where(
        TicketMessage.ticket_id == ticket_id))
    return Page(_views(page.items), page.next_cursor, page.prev_cursor)


@api_endpoint(api, PATH, methods=["POST"], permission=TICKET_EDIT, body=ReplyIn,
              response=TicketMessageOut, status=201, tags=["service"], endpoint="post_reply")
def post_reply(body: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Write a reply to the customer (sent by e-mail) or an internal note (never sent)."""
    session = get_session()
    ticket = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    message = post_message(session, ticket, current_user._get_current_object(),  # noqa: SLF001
                           body=body["body"], kind=body["kind"], wait=body["wait"],
                           canned_reply_id=body["canned_reply_id"])
    session.commit()
    return _views([message])[0]
