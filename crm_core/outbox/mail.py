"""The ``mail`` channel: e-mail through SMTP, and ``send_mail`` to queue one.

Payload: ``{"to": [addresses], "subject": str, "text": str, "html": str or None}``. The
idempotency key becomes the Message-ID (``smtp.message_id``), so a receiver that sees a
repeat (delivery is at least once) can tell.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from . import smtp
from .channels import OutboxChannel, OutboxDelivery
from .models import OutboxMessage
from .service import enqueue

log = logging.getLogger(__name__)

CHANNEL = "mail"
MAX_RECIPIENTS = 100
SUBJECT_LENGTH = 500


def validate_mail(payload: dict[str, Any]) -> None:
    """Refuse a mail payload that can never be sent (the message names the field)."""
    unknown = sorted(set(payload) - {"to", "subject", "text", "html"})
    if unknown:
        raise ValueError(f"mail: unknown field {unknown[0]!r} (fields: to, subject, text, html)")
    to = payload.get("to")
    if not isinstance(to, list) or not to:
        raise ValueError("mail: 'to' must be a list of at least one e-mail address")
    if len(to) > MAX_RECIPIENTS:
        raise ValueError(f"mail: 'to' holds at most {MAX_RECIPIENTS} addresses")
    for address in to:
        smtp.check_address(address, "mail: each address in 'to'")
    subject = payload.get("subject")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > SUBJECT_LENGTH \
            or any(ch in subject for ch in "\r\n\0"):
        raise ValueError(f"mail: 'subject' must be one line of 1 to {SUBJECT_LENGTH} "
                         "characters")
    if not isinstance(payload.get("text"), str):
        raise ValueError("mail: 'text' must be a text (the plain-text body)")
    if payload.get("html") is not None and not isinstance(payload["html"], str):
        raise ValueError("mail: 'html' must be a text or null")


def mail_problem() -> str | None:
    """Why mail cannot be sent now (missing or wrong SMTP settings), or None."""
    try:
        smtp.smtp_settings(current_app.config)
    except smtp.SmtpConfigError as exc:
        return str(exc)
    return None


def deliver_mail(payload: dict[str, Any], message: OutboxDelivery) -> None:
    """Send one mail through SMTP; raise when the server does not take it."""
    settings = smtp.smtp_settings(current_app.config)
    email = smtp.build_message(settings.sender, payload["to"], payload["subject"],
                               payload["text"], payload.get("html"), message.idempotency_key,
                               message.created_at)
    refused = smtp.send(settings, email, payload["to"])
    if refused:  # the others have it: a retry would send them a second copy
        log.warning("outbox mail %s: recipients refused: %s", message.id,
                                   ", ".join(sorted(refused)))


def mail_summary(payload: dict[str, Any]) -> str:
    """``to: subject`` for the outbox page."""
    to = payload.get("to") or []
    shown = ", ".join(str(address) for address in to[:3]) + (" …" if len(to) > 3 else "")
    return f"{shown}: {payload.get('subject', '')}"


MAIL_CHANNEL = OutboxChannel(CHANNEL, deliver_mail, validate=validate_mail, ready=mail_problem,
                             summary=mail_summary, label=_l("E-mail delivery"))


def send_mail(to: str | Iterable[str], subject: str, text: str, html: str | None = None,
              idempotency_key: str | None = None) -> OutboxMessage:
    """Queue an e-mail in the current transaction (see ``enqueue``); return its outbox row.

    ``to`` is one address or several. With ``html``, the mail carries both (a
    multipart/alternative). Sent after commit through ``CRM_SMTP_URL``; while SMTP is not
    configured the mail waits in the outbox.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    return enqueue(CHANNEL, {"to": recipients, "subject": subject, "text": text, "html": html},
                   idempotency_key)
