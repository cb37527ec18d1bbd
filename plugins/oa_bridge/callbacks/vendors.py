"""Opening one inbound callback per vendor, through the protocol layer: the signature first,
then the timestamp window, the decryption and the owner trailer; the handshakes (DingTalk
``check_url``, WeCom's GET ``echostr``, Feishu's ``url_verification``) are answered here.

Each function takes the connection, its opened secrets and the request's parts, and returns
an :class:`Opened` or raises a ``CallbackRefused``. No database and no Flask here.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from defusedxml import DefusedXmlException, ElementTree

from ..models import OaConnection
from ..protocol import MalformedCallback, WrongReceiver
from ..protocol import feishu as feishu_protocol
from ..protocol.callback_crypto import (
    CallbackCrypto,
    dingtalk_reply,
    wecom_open_message,
    wecom_verify_url,
)
from ..protocol.errors import json_object
from ..protocol.freshness import check_timestamp

#: Events that are handshakes: answered, never dispatched or deduplicated.
DINGTALK_HANDSHAKES = ("check_url", "check_create_suite_url", "check_update_suite_url")


@dataclass(frozen=True)
class Opened:
    """An accepted callback: the answer to send, and the event to dispatch (none for a
    handshake)."""

    body: str
    mimetype: str
    event_type: str = ""
    event_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def _open_with_any(cryptos: list[CallbackCrypto], encrypt: str) -> tuple[CallbackCrypto, bytes]:
    """Decrypt with the first receiver id the trailer names (signature already checked)."""
    for crypto in cryptos:
        try:
            return crypto, crypto.decrypt(encrypt)
        except WrongReceiver:
            continue
    raise WrongReceiver("receiver id mismatch")


def dingtalk(cryptos: list[CallbackCrypto], args: Mapping[str, str], body: bytes) -> Opened:
    """A DingTalk HTTP callback (POST, JSON ``{"encrypt"}``); the answer is the encrypted,
    signed "success" (the ``check_url`` handshake included)."""
    signature = args.get("msg_signature") or args.get("signature") or ""
    timestamp = args.get("timeStamp") or args.get("timestamp") or ""
    nonce = args.get("nonce") or ""
    encrypt = json_object(body, "body").get("encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise MalformedCallback("body has no encrypt field")
    cryptos[0].verify(signature, timestamp, nonce, encrypt)
    check_timestamp(timestamp, unit="ms")
    crypto, plain = _open_with_any(cryptos, encrypt)
    event = json_object(plain, "event")
    answer = json.dumps(dingtalk_reply(crypto, "success", timestamp_ms=int(time.time() * 1000)))
    event_type = str(event.get("EventType") or "")
    if event_type in DINGTALK_HANDSHAKES:
        return Opened(answer, "application/json")
    instance = event.get("processInstanceId")
    if instance:
        event_id = ":".join(str(event.get(key) or "") for key in
                            ("processInstanceId", "type", "taskId", "EventType"))
    else:
        event_id = str(event.get("eventId") or event.get("EventId") or "") or None
    if event_id is None and event.get("TimeStamp"):
        # org changes (user_add_org, org_dept_create…) carry no id: who, what and when is one
        who = event.get("UserId") or event.get("DeptId") or []
        event_id = f"{event_type}:{event['TimeStamp']}:" + \
            ",".join(sorted(str(value) for value in (who if isinstance(who, list) else [who])))
    return Opened(answer, "application/json", event_type, event_id[:200] if event_id else None,
                  event)


def wecom_get(crypto: CallbackCrypto, args: Mapping[str, str]) -> Opened:
    """WeCom's URL verification (GET): the decrypted ``echostr`` as plain text."""
    timestamp = args.get("timestamp") or ""
    plain = wecom_verify_url(crypto, msg_signature=args.get("msg_signature") or "",
                             timestamp=timestamp, nonce=args.get("nonce") or "",
                             echostr=args.get("echostr") or "")
    check_timestamp(timestamp, unit="s")
    return Opened(plain, "text/plain")


def _xml_dict(xml: bytes) -> dict[str, Any]:
    """A WeCom XML document as nested dicts (repeated elements become lists)."""
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException):
        raise MalformedCallback("event is not well-formed XML") from None

    def walk(node: Any) -> Any:
        children = list(node)
        if not children:
            return node.text or ""
        out: dict[str, Any] = {}
        for child in children:
            value = walk(child)
            if child.tag in out:
                previous = out[child.tag]
                out[child.tag] = [*previous, value] if isinstance(previous, list) \
                    else [previous, value]
            else:
                out[child.tag] = value
        return out

    value = walk(root)
    return value if isinstance(value, dict) else {}


def wecom_post(crypto: CallbackCrypto, args: Mapping[str, str], body: bytes) -> Opened:
    """A WeCom callback (POST, XML ``<Encrypt>``); the answer is a plain "success"."""
    timestamp = args.get("timestamp") or ""
    plain = wecom_open_message(crypto, msg_signature=args.get("msg_signature") or "",
                               timestamp=timestamp, nonce=args.get("nonce") or "", body=body)
    check_timestamp(timestamp, unit="s")
    event = _xml_dict(plain)
    event_type = str(event.get("Event") or event.get("MsgType") or "")
    # system events (approvals, contact changes) have no MsgId, and two in one second from
    # "sys" differ only in their content: the digest tells them apart, a retry keeps it
    digest = hashlib.sha1(json.dumps(event, sort_keys=True).encode()).hexdigest()[:16]
    event_id = str(event.get("MsgId") or "") or (
        f"{event.get('FromUserName', '')}:{event.get('CreateTime', '')}:{event_type}:{digest}")
    return Opened("success", "text/plain", event_type, event_id, event)


def feishu(connection: OaConnection, token: str, encrypt_key: str,
           headers: Mapping[str, str], body: bytes) -> Opened:
    """A Feishu event (POST, JSON ``{"encrypt"}``); ``url_verification`` is answered with
    its challenge, any other event must be signed, fresh and for this app."""
    timestamp = headers.get("X-Lark-Request-Timestamp")
    opened = feishu_protocol.open_request(
        body=body, encrypt_key=encrypt_key, verification_token=token, timestamp=timestamp,
        nonce=headers.get("X-Lark-Request-Nonce"), signature=headers.get("X-Lark-Signature"))
    answer = json.dumps(opened.answer())
    if opened.challenge is not None:
        return Opened(answer, "application/json")
    check_timestamp(timestamp or "", unit="s")
    payload = opened.payload
    header = payload.get("header") if isinstance(payload.get("header"), dict) else {}
    event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    app_id = header.get("app_id") or event.get("app_id")
    if app_id and connection.app_key and app_id != connection.app_key:
        raise WrongReceiver("app id mismatch")
    event_type = str(header.get("event_type") or event.get("type") or payload.get("type") or "")
    return Opened(answer, "application/json", event_type, feishu_protocol.event_id(payload),
                  payload)
