"""Work notices: the notification channels ``oa_bridge.dingtalk``, ``oa_bridge.wecom`` and
``oa_bridge.feishu`` (``crm_notification_channels``).

A user who chose one of them for a notification kind (their notification settings page) gets
the notification as a DingTalk work notice (``corpconversation/asyncsend_v2``), a WeCom app
message (``message/send``) or a Feishu message (``im/v1/messages``), through every active
connection of that vendor where they are linked (``crm oa link-user``, by OA user id or by
mobile number). ``deliver`` runs in the sender's transaction and only writes an outbox message
on ``oa_bridge.notice``: the outbox sends it after commit, at least once, and tries again with
backoff on a 5xx, a network failure or throttling. A refusal (4xx: an unknown user, a wrong
agent id) is logged as ``oa_notice_failed`` and not retried.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    NotificationChannel,
    OutboxChannel,
    OutboxDelivery,
    get_session,
    outbox,
    record_event,
)

from ..models import KIND_LABELS, KINDS, OaConnection, OaUserLink
from ..protocol.api_errors import VendorError
from ..tokens.client import TIMEOUT, OaClient

log = logging.getLogger(__name__)
CHANNEL = "oa_bridge.notice"
TEXT_LIMIT = 2000


def message_text(title: str, body: str, url: str) -> str:
    """The plain text a notice carries: title, body and the link back to the CRM."""
    text = "\n\n".join(part for part in (title.strip(), body.strip(), url) if part)
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT - 1] + "…"


def _open_url(notification: Any) -> str:
    base = str(current_app.config.get("CRM_BASE_URL") or "").rstrip("/")
    return f"{base}/notifications/{notification.id}/open" if base else ""


def _deliver_for(kind: str) -> Any:
    def deliver(notification: Any, user: Any, session: Session) -> None:
        rows = session.execute(
            select(OaConnection.id, OaUserLink.oa_user_id)
            .join(OaUserLink, OaUserLink.connection_id == OaConnection.id)
            .where(OaConnection.kind == kind, OaConnection.active.is_(True),
                   OaUserLink.user_id == user.id)).all()
        text = message_text(notification.title, notification.body, _open_url(notification))
        for connection_id, oa_user_id in rows:
            outbox.enqueue(CHANNEL, {"connection": connection_id, "to": oa_user_id,
                                     "text": text},
                           f"notification-{notification.id}-oa-{connection_id}",
                           session=session)
    deliver.__doc__ = f"Queue a {kind} notice for each of the user's links (outbox)."
    return deliver


def notification_channels() -> list[NotificationChannel]:
    """One channel per vendor, after the kernel's e-mail."""
    return [NotificationChannel(f"oa_bridge.{kind}", KIND_LABELS[kind], _deliver_for(kind),
                                order=50 + index) for index, kind in enumerate(KINDS)]


def send_notice(client: OaClient, oa_user_id: str, text: str, request_id: str) -> None:
    """Send one text notice to ``oa_user_id`` through the connection's app."""
    connection = client.connection
    if connection.kind == "dingtalk":
        body: dict[str, Any] = {"userid_list": oa_user_id,
                                "msg": {"msgtype": "text", "text": {"content": text}}}
        if connection.agent_id.isdigit():
            body["agent_id"] = int(connection.agent_id)
        client.call("POST", "/topapi/message/corpconversation/asyncsend_v2", oapi=True,
                    json=body)
    elif connection.kind == "wecom":
        client.call("POST", "/cgi-bin/message/send", json={
            "touser": oa_user_id, "msgtype": "text",
            "agentid": int(connection.agent_id) if connection.agent_id.isdigit() else 0,
            "text": {"content": text}, "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800})
    else:
        client.call("POST", "/open-apis/im/v1/messages", params={"receive_id_type": "user_id"},
                    json={"receive_id": oa_user_id, "msg_type": "text",
                          "content": json.dumps({"text": text}, ensure_ascii=False),
                          "uuid": request_id[:50]})


def deliver(payload: dict[str, Any], message: OutboxDelivery) -> None:
    """Send one notice (the outbox channel's ``deliver``); retryable failures raise."""
    session = get_session()
    connection = session.get(OaConnection, int(payload["connection"]))
    if connection is None or not connection.active:
        return
    try:
        with httpx.Client(timeout=TIMEOUT) as http:
            send_notice(OaClient(session, connection, http=http), str(payload["to"]),
                        str(payload["text"]), message.idempotency_key)
    except VendorError as refused:
        session.rollback()
        if refused.retryable:
            raise
        record_event("oa_notice_failed",
                     _l("The OA refused a notice to %(user)s: %(error)s",
                        user=str(payload["to"]), error=str(refused)[:200]),
                     model=OaConnection, record_id=connection.id, user="system")
    session.commit()


def outbox_channels() -> list[OutboxChannel]:
    """The channel that sends work notices."""
    return [OutboxChannel(CHANNEL, deliver,
                          summary=lambda payload: f"OA notice to {payload.get('to')}")]
