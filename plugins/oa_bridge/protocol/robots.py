"""Group robot webhooks: DingTalk and Feishu signing, the WeCom key URL, and URL redaction.

- **DingTalk** custom robot: ``string_to_sign = f"{timestamp_ms}\\n{secret}"``,
  ``sign = base64(HMAC-SHA256(key=secret, msg=string_to_sign))``, sent as the URL query
  ``&timestamp=<ms>&sign=<sign>``. The official Python sample URL-encodes it with
  ``quote_plus``; :func:`dingtalk_robot_sign` returns that form for string concatenation, and
  :func:`dingtalk_robot_params` the raw base64 for an HTTP client that encodes query values
  itself (passing the already-encoded form there double-encodes it: ``%252B``).
- **Feishu** custom bot: the same ``string_to_sign`` with the timestamp in **seconds**, but used
  as the HMAC *key* over an **empty** message: ``base64(HMAC-SHA256(key=string_to_sign,
  msg=b""))`` ("the reversed HMAC"). ``timestamp`` (a string) and ``sign`` go in the JSON body,
  not the URL, so nothing is URL-encoded. Many public snippets get this backwards (they use the
  DingTalk order), and Feishu then answers "sign match fail".
- **WeCom** group robot: no signature; the ``key`` in the URL is the only credential, so the URL
  itself is a secret: log it only through :func:`redact_url`.

No vendor publishes a test vector for these; tests/plugins/oa_bridge/test_robot_signing.py pins
self-generated values (labelled as such). The vendors' timestamp tolerance (commonly cited as one
hour) is unverified.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from plugins.oa_bridge.protocol.errors import BadKey, SignatureMismatch

__all__ = [
    "DINGTALK_ROBOT_URL",
    "FEISHU_BOT_URL",
    "WECOM_ROBOT_URL",
    "dingtalk_robot_params",
    "dingtalk_robot_sign",
    "dingtalk_robot_signature",
    "dingtalk_robot_url",
    "feishu_bot_body",
    "feishu_bot_sign",
    "redact_url",
    "verify_dingtalk_robot",
    "verify_feishu_bot",
    "wecom_robot_url",
]

DINGTALK_ROBOT_URL = "https://oapi.dingtalk.com/robot/send"
FEISHU_BOT_URL = "https://open.feishu.cn/open-apis/bot/v2/hook/"
WECOM_ROBOT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"

#: Query parameters whose values are credentials (or derived from one) in robot URLs.
_SECRET_PARAMS = frozenset({"access_token", "key", "sign"})
_FEISHU_HOOK_PATH = "/bot/v2/hook/"


def _secret_bytes(secret: str) -> bytes:
    if not secret:
        raise BadKey("robot secret is empty")
    return secret.encode("utf-8")


def dingtalk_robot_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature as plain base64 (before URL encoding)."""
    message = f"{int(timestamp_ms)}\n{secret}".encode()
    digest = hmac.new(_secret_bytes(secret), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_robot_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign`` URL-encoded with ``quote_plus``, as the official sample sends it."""
    return quote_plus(dingtalk_robot_signature(secret, timestamp_ms))


def dingtalk_robot_params(secret: str, timestamp_ms: int) -> dict[str, str]:
    """``{"timestamp", "sign"}`` with raw values, for a client that encodes query values."""
    return {"timestamp": str(int(timestamp_ms)),
            "sign": dingtalk_robot_signature(secret, timestamp_ms)}


def dingtalk_robot_url(webhook_url: str, secret: str | None, *, timestamp_ms: int) -> str:
    """The webhook URL with ``timestamp`` and ``sign`` added (replacing any old ones).

    With no ``secret`` (a robot secured by keyword or IP list) the URL is returned unchanged.
    """
    if secret is None:
        return webhook_url
    parts = urlsplit(webhook_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in ("timestamp", "sign")]
    query += list(dingtalk_robot_params(secret, timestamp_ms).items())
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote_plus)))


def verify_dingtalk_robot(secret: str, timestamp_ms: str, sign: str) -> None:
    """Check a DingTalk robot ``sign`` (already URL-decoded); :class:`SignatureMismatch` if not.

    For the fake vendor server and DingTalk's outgoing-robot callbacks, which use the same HMAC.
    Check the timestamp window separately (freshness.py, unit ``"ms"``).
    """
    try:
        expected = dingtalk_robot_signature(secret, int(timestamp_ms))
    except ValueError:
        raise SignatureMismatch("timestamp is not an integer") from None
    if not hmac.compare_digest(expected.encode("ascii"), sign.encode("utf-8")):
        raise SignatureMismatch("signature mismatch")


def feishu_bot_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's custom-bot ``sign``: HMAC-SHA256 keyed by ``"{ts}\\n{secret}"`` over ``b""``."""
    _secret_bytes(secret)
    key = f"{int(timestamp_s)}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def feishu_bot_body(message: dict[str, Any], secret: str | None, *,
                    timestamp_s: int) -> dict[str, Any]:
    """The JSON body for a Feishu custom bot: ``message`` plus ``timestamp`` and ``sign``.

    ``message`` holds ``msg_type`` and ``content``; with no ``secret`` it is returned as a copy.
    """
    body = dict(message)
    if secret is not None:
        body["timestamp"] = str(int(timestamp_s))
        body["sign"] = feishu_bot_sign(secret, timestamp_s)
    return body


def verify_feishu_bot(secret: str, timestamp_s: str, sign: str) -> None:
    """Check a Feishu custom-bot ``sign``; :class:`SignatureMismatch` if it does not match."""
    try:
        expected = feishu_bot_sign(secret, int(timestamp_s))
    except ValueError:
        raise SignatureMismatch("timestamp is not an integer") from None
    if not hmac.compare_digest(expected.encode("ascii"), sign.encode("utf-8")):
        raise SignatureMismatch("signature mismatch")


def wecom_robot_url(key: str, *, base_url: str = WECOM_ROBOT_URL) -> str:
    """``…/cgi-bin/webhook/send?key=<key>``; ``base_url`` points at a fake server in tests."""
    if not key:
        raise BadKey("robot key is empty")
    return f"{base_url}?{urlencode({'key': key})}"


def redact_url(url: str) -> str:
    """The URL with its credentials masked, for logs and error messages.

    Masks the ``access_token``, ``key`` and ``sign`` query values and a Feishu hook token.
    """
    parts = urlsplit(url)
    query = [(k, "***" if k in _SECRET_PARAMS else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    path = parts.path
    if _FEISHU_HOOK_PATH in path:
        path = path[:path.index(_FEISHU_HOOK_PATH) + len(_FEISHU_HOOK_PATH)] + "***"
    return urlunsplit(parts._replace(path=path, query=urlencode(query, safe="*")))
