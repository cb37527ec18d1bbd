"""The ``mail`` channel: e-mail through SMTP, and ``send_mail`` to queue one.

Payload: ``{"to": [addresses], "subject": str, "text": str, "html": str or None}``, and
optionally ``"headers"`` (``{name: value}``, names from ``EXTRA_HEADERS`` or ``X-…``: a
mailing's ``List-Unsubscribe``) and ``"attachments"`` (``[{"filename", "content_type",
"data"}]``, data in base64: a scheduled report's XLSX). The idempotency key becomes the
Message-ID (``smtp.message_id``), so a receiver that sees a repeat (delivery is at least once)
can tell.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Iterable, Mapping
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
#: headers a sender may add besides ``X-…`` ones (the kernel writes From, To, Subject, Date
#: and Message-ID itself)
EXTRA_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post", "list-id",
                           "reply-to", "precedence", "auto-submitted"})
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,75}")
_CONTENT_TYPE = re.compile(r"[a-z0-9.+-]+/[a-z0-9.+-]+")


def _check_headers(headers: Any) -> None:
    if not isinstance(headers, dict):
        raise ValueError("mail: 'headers' must be an object of header names and texts")
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name) or not (
                name.lower() in EXTRA_HEADERS or name.lower().startswith("x-")):
            raise ValueError(f"mail: header {name!r} may not be set (allowed: X-… and "
                             + ", ".join(sorted(EXTRA_HEADERS)) + ")")
        if not isinstance(value, str) or len(value) > 2000 or any(ch in value
                                                                  for ch in "\r\n\0"):
            raise ValueError(f"mail: header {name!r} must be one line of at most 2000 "
                             "characters")


def _attachments(payload: Mapping[str, Any]) -> list[tuple[str, str, bytes]]:
    """The payload's attachments as ``(filename, content type, bytes)``; ValueError when one
    is malformed or they exceed ``MAX_ATTACHMENT_BYTES`` together."""
    items = payload.get("attachments") or []
    if not isinstance(items, list):
        raise ValueError("mail: 'attachments' must be a list")
    found, total = [], 0
    for item in items:
        if not isinstance(item, dict) or set(item) != {"filename", "content_type", "data"}:
            raise ValueError("mail: each attachment has exactly filename, content_type, data")
        filename, content_type = item["filename"], item["content_type"]
        if not isinstance(filename, str) or not filename.strip() or len(filename) > 200 \
                or any(ch in filename for ch in "\r\n\0/\\"):
            raise ValueError("mail: an attachment's filename must be a plain file name")
        if not isinstance(content_type, str) or not _CONTENT_TYPE.fullmatch(content_type):
            raise ValueError("mail: an attachment's content_type must be like type/subtype")
        try:
            data = base64.b64decode(item["data"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise ValueError("mail: an attachment's data must be base64") from None
        total += len(data)
        if total > MAX_ATTACHMENT_BYTES:
            raise ValueError(f"mail: attachments hold at most {MAX_ATTACHMENT_BYTES} bytes")
        found.append((filename, content_type, data))
    return found


def validate_mail(payload: dict[str, Any]) -> None:
    """Refuse a mail payload that can never be sent (the message names the field)."""
    unknown = sorted(set(payload) - {"to", "subject", "text", "html", "headers", "attachments"})
    if unknown:
        raise ValueError(f"mail: unknown field {unknown[0]!r} (fields: to, subject, text, html, "
                         "headers, attachments)")
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
    if payload.get("headers") is not None:
        _check_headers(payload["headers"])
    _attachments(payload)


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
                               message.created_at, payload.get("headers"),
                               _attachments(payload))
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
              idempotency_key: str | None = None, *, headers: Mapping[str, str] | None = None,
              attachments: Iterable[tuple[str, str, bytes]] = ()) -> OutboxMessage:
    """Queue an e-mail in the current transaction (see ``enqueue``); return its outbox row.

    ``to`` is one address or several. With ``html``, the mail carries both (a
    multipart/alternative). ``headers`` adds headers (``List-Unsubscribe``, ``X-…``; see
    ``EXTRA_HEADERS``); ``attachments`` are ``(filename, content type, bytes)``. Sent after
    commit through ``CRM_SMTP_URL``; while SMTP is not configured the mail waits in the outbox.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    payload: dict[str, Any] = {"to": recipients, "subject": subject, "text": text, "html": html}
    if headers:
        payload["headers"] = dict(headers)
    files = [{"filename": name, "content_type": kind,
              "data": base64.b64encode(data).decode("ascii")} for name, kind, data in attachments]
    if files:
        payload["attachments"] = files
    return enqueue(CHANNEL, payload, idempotency_key)
