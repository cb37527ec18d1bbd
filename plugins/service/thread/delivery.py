"""A reply's delivery state, read from its outbox row so that it is always true.

The outbox (``core_outbox_message``) delivers after commit and retries with backoff: its
``pending``/``sending`` rows are *queued*, ``failed`` ones (a try failed, another is booked)
and ``dead`` ones (no tries left; an administrator may replay it) *failed*, ``sent`` ones
*sent*. A reply whose row is gone was sent: the outbox deletes only sent rows, after
``CRM_OUTBOX_KEEP_DAYS``. The row's ``last_error`` is told in words staff understand, never
as the server's text (it may name hosts or paths).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import model_for_table, stored_time

from ..models import TicketMessage

OUTBOX_TABLE = "core_outbox_message"
_STATES = {"pending": "queued", "sending": "queued", "failed": "failed", "dead": "failed",
           "sent": "sent"}
#: What an error's exception name says, first match wins (``smtplib``/``OSError`` names).
_CAUSES = (
    (("Authentication",), "auth"),
    (("Recipients", "Recipient"), "recipient"),
    (("Sender",), "sender"),
    (("Refused", "Connect", "Timeout", "gaierror", "Disconnected", "OSError"), "unreachable"),
)


@dataclass(frozen=True)
class Delivery:
    """Where a message stands: ``state`` (none, queued, sent, failed), ``problem`` (why it
    failed, for staff), ``retry_at`` (the next try of a failed one, None when no try is left)
    and ``sent_at``."""

    state: str
    problem: str = ""
    retry_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None


def explain(error: str | None) -> str:
    """``error`` (an outbox ``last_error``) as a sentence for staff."""
    kind = (error or "").split(":", 1)[0]
    cause = next((cause for names, cause in _CAUSES
                  if any(name in kind for name in names)), "")
    return {
        "auth": _("The mail server refused the CRM's sign-in: an administrator should check "
                  "the mail settings."),
        "recipient": _("The mail server refused the customer's address: check the contact's "
                       "e-mail address."),
        "sender": _("The mail server refused the sender address: an administrator should "
                    "check the mail settings."),
        "unreachable": _("The mail server could not be reached."),
    }.get(cause, _("The mail server did not take the message."))


def deliveries(session: Session, messages: Iterable[TicketMessage]) -> dict[int, Delivery]:
    """``{message id: Delivery}`` for ``messages``, their outbox rows read in one query."""
    messages = list(messages)
    outbox_ids = [m.outbox_message_id for m in messages if m.outbox_message_id is not None]
    rows = {}
    if outbox_ids:
        outbox = model_for_table(OUTBOX_TABLE)
        rows = {row.id: row for row in session.execute(
            select(outbox.id, outbox.status, outbox.last_error, outbox.next_attempt_at,
                   outbox.sent_at).where(outbox.id.in_(outbox_ids)))}
    found = {}
    for message in messages:
        if message.outbox_message_id is None:
            found[message.id] = Delivery(message.delivery_state if message.kind == "reply"
                                         else "none")
            continue
        row = rows.get(message.outbox_message_id)
        if row is None:  # purged after its keep days: only sent rows are
            found[message.id] = Delivery("sent")
            continue
        state = _STATES.get(row.status, "queued")
        found[message.id] = Delivery(
            state, explain(row.last_error) if state == "failed" else "",
            stored_time(row.next_attempt_at) if row.status == "failed" else None,
            stored_time(row.sent_at))
    return found
