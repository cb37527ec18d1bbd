"""Taking one inbound webhook: the connection, the signature, the replay guard.

:func:`receive` checks a message against its webhook connection and remembers its id in
``erp_bridge_seen_webhook`` (unique per connection), so a second delivery of the same id
within the window is :class:`signing.Replayed`. Ids are kept a day: a message older than five
minutes is refused by its timestamp anyway.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.toolkit import SealError, utcnow

from ..connections.services import connection_secret, find_connection
from ..models import ErpConnection, ErpSeenWebhook
from . import signing

KEEP_SEEN = dt.timedelta(days=1)


class UnknownConnection(signing.WebhookRefused):
    """No active webhook connection of that name (404; not logged, so that scanners do not
    fill the operation log)."""

    status = 404


class ConnectionStopped(signing.WebhookRefused):
    """The connection exists but is stopped, or its secret cannot be opened."""

    status = 403


def receive(session: Session, name: str, headers: Mapping[str, str], body: bytes,
            now: float | None = None) -> tuple[ErpConnection, str, Any]:
    """Check and remember one message; ``(connection, webhook id, JSON payload)``.

    Raises a :class:`signing.WebhookRefused` (``UnknownConnection`` before anything else;
    the others carry ``connection`` for the log)."""
    connection = find_connection(session, name)
    if connection is None or connection.kind != "webhook":
        raise UnknownConnection("no webhook connection of that name")
    try:
        if connection.state != "active":
            raise ConnectionStopped("the connection is stopped")
        try:
            secret = connection_secret(connection)
        except SealError:
            raise ConnectionStopped("the stored secret cannot be decrypted") from None
        message_id, _timestamp = signing.verify(secret, headers, body, now=now)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise signing.MalformedHeaders("the body is not JSON") from None
        _remember(session, connection, message_id)
    except signing.WebhookRefused as refused:
        refused.connection = connection  # type: ignore[attr-defined]
        raise
    return connection, message_id, payload


def _remember(session: Session, connection: ErpConnection, message_id: str) -> None:
    try:
        with session.begin_nested():
            session.add(ErpSeenWebhook(connection_id=connection.id, webhook_id=message_id,
                                       seen_at=utcnow()))
    except IntegrityError:
        raise signing.Replayed("this webhook-id was already received") from None
    session.execute(delete(ErpSeenWebhook).where(ErpSeenWebhook.connection_id == connection.id,
                                                 ErpSeenWebhook.seen_at < utcnow() - KEEP_SEEN))
