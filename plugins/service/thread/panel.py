"""The conversation panel of a ticket's page and the attachment kind of its messages.

The panel lists the messages oldest first (author, time in the reader's zone, kind, body,
files, and for replies the delivery state read from the outbox, ``thread.delivery``) and,
for holders of ``service.ticket.edit``, the reply form (``thread.views`` receives it). A
part of the service plugin: ``attachment_kinds()``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import AttachmentKind, get_session, model_for_table, user_names

from ..models import Ticket, TicketMessage
from ..models.choices import DELIVERY_STATE_LABELS, MESSAGE_KIND_LABELS
from ..permissions import TICKET_EDIT, TICKET_VIEW
from .delivery import deliveries
from .forms import ReplyForm
from .services import MESSAGE_FILES, active_canned_replies

#: The newest messages a page shows (a longer thread links to the API's pages).
SHOWN = 200
ATTACHMENT_TABLE = "core_attachment"


def attachment_kinds() -> list[AttachmentKind]:
    """Files on ticket messages: seen with the ticket, added with a reply."""
    from flask_babel import lazy_gettext as _l

    return [AttachmentKind(MESSAGE_FILES, TicketMessage, view_permission=TICKET_VIEW,
                           edit_permission=TICKET_EDIT, label=_l("Ticket message"))]


def files_of(session: Session, message_ids: list[int]) -> dict[int, list[Any]]:
    """``{message id: [attachment rows]}`` of the messages, in one query."""
    if not message_ids:
        return {}
    attachment = model_for_table(ATTACHMENT_TABLE)
    found: dict[int, list[Any]] = {}
    for row in session.execute(
            select(attachment.id, attachment.record_id, attachment.file_name, attachment.size,
                   attachment.content_type)
            .where(attachment.kind == MESSAGE_FILES, attachment.record_id.in_(message_ids))
            .order_by(attachment.id)):
        found.setdefault(row.record_id, []).append(row)
    return found


def thread_messages(session: Session, ticket: Ticket, limit: int = SHOWN
                    ) -> tuple[list[TicketMessage], bool]:
    """The ticket's last ``limit`` messages, oldest first, and whether older ones exist."""
    newest = list(session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id.desc())
        .limit(limit + 1)))
    return list(reversed(newest[:limit])), len(newest) > limit


def thread_context(ticket: Ticket, form: ReplyForm | None = None) -> dict[str, Any]:
    """What the panel draws: the messages with their authors, deliveries and files, the
    reply form and the canned replies."""
    session = get_session()
    messages, more = thread_messages(session, ticket)
    return {"messages": messages, "more": more,
            "authors": user_names(session, (m.author_id for m in messages)),
            "deliveries": deliveries(session, messages),
            "files": files_of(session, [m.id for m in messages]),
            "kinds": MESSAGE_KIND_LABELS, "states": DELIVERY_STATE_LABELS,
            "form": form or ReplyForm(formdata=None),
            "canned": active_canned_replies(session)}
