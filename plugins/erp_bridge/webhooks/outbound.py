"""Outbound signed webhooks through the outbox channel ``erp.webhook``.

``send_webhook`` writes the message in the caller's transaction; the outbox posts it after
the commit to the webhook connection's address, signed with its secret (Standard Webhooks):
the body is ``{"type", "timestamp", "data"}``, ``webhook-id`` is the outbox idempotency key
(the same on every retry and replay, so the receiver drops a repeat) and the timestamp and
signature are fresh for each try. A 2xx answer, or a 409 (the receiver already has that id),
is delivered; anything else is tried again with backoff, then dead and replayable.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import OutboxChannel, OutboxDelivery, get_session, outbox

from ..connections.services import connection_secret, find_connection
from ..models import ErpConnection
from ..odoo.client import tls_context
from . import signing

CHANNEL = "erp.webhook"
TIMEOUT = 30.0


class WebhookNotDelivered(RuntimeError):
    """The receiver did not take the message (its status, or the connection is stopped)."""


def send_webhook(session: Session, connection: str, event_type: str, data: dict[str, Any],
                 idempotency_key: str | None = None) -> Any:
    """Queue the event ``event_type`` (``order.confirmed``…) with ``data`` (plain JSON) for
    the webhook connection named ``connection``; the caller commits."""
    return outbox.enqueue(CHANNEL, {"connection": connection, "type": event_type,
                                    "data": data}, idempotency_key, session=session)


def _validate(payload: dict[str, Any]) -> None:
    if not payload.get("connection") or not isinstance(payload.get("type"), str) \
            or not isinstance(payload.get("data"), dict):
        raise ValueError("an erp.webhook message is {connection, type, data}")


def deliver(payload: dict[str, Any], message: OutboxDelivery) -> None:
    """POST the signed event to the connection's address."""
    connection = find_connection(get_session(), payload["connection"])
    if connection is None or connection.kind != "webhook" or connection.state != "active" \
            or connection.held or not connection.url:
        raise WebhookNotDelivered(f"the webhook connection {payload['connection']!r} is "
                                  "stopped, gone or has no address")
    body = json.dumps({"type": payload["type"], "timestamp": message.created_at.isoformat(),
                       "data": payload["data"]}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    headers = signing.sign(connection_secret(connection), body,
                           message_id=message.idempotency_key)
    try:
        answer = httpx.post(connection.url, content=body, timeout=TIMEOUT, verify=tls_context(),
                            headers={**headers, "Content-Type": "application/json",
                                     "User-Agent": "crm-erp-bridge"})
    except httpx.HTTPError as failed:
        raise WebhookNotDelivered(f"the receiver cannot be reached "
                                  f"({failed.__class__.__name__})") from None
    if not (200 <= answer.status_code < 300 or answer.status_code == 409):
        raise WebhookNotDelivered(f"the receiver answered HTTP {answer.status_code}")


def _summary(payload: dict[str, Any]) -> str:
    return f"{payload.get('connection')}: {payload.get('type')}"


def ready() -> str | None:
    """Why nothing is posted now: a webhook connection is held (the outbox keeps the
    channel's messages until it is released: it has no per-message wait)."""
    held = get_session().scalar(select(ErpConnection.name).where(
        ErpConnection.kind == "webhook", ErpConnection.held.is_(True))
        .order_by(ErpConnection.name).limit(1))
    return None if held is None else _("webhook connection %(name)s is held", name=held)


def outbox_channels() -> list[OutboxChannel]:
    """The ``erp.webhook`` channel."""
    return [OutboxChannel(CHANNEL, deliver, validate=_validate, summary=_summary,
                          ready=ready, label=_l("Signed webhooks"))]
