"""Standard Webhooks signatures (https://www.standardwebhooks.com), pure Python.

A message carries three headers: ``webhook-id`` (unique per message, the same on every retry),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature``: one or more space-separated
``v1,<base64 HMAC-SHA256>`` of ``"<id>.<timestamp>.<raw body>"``. The key is the secret's
bytes: ``whsec_`` then base64. A receiver verifies over the **raw** body before parsing it,
refuses a timestamp more than five minutes away from its clock, and a message id it has
seen (the table of seen ids is the caller's: ``inbound.py``).

Written with ``hmac`` rather than the ``standardwebhooks`` package: its ``verify`` reads the
wall clock (no way to test the window with the published vector's 2021 timestamp) and parses
the body as JSON, and the scheme is twenty lines. Every refusal is a :class:`WebhookRefused`
whose ``reason`` is safe to log (never a secret, a signature or the body).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Mapping

PREFIX = "whsec_"
#: How far a message's timestamp may be from the receiver's clock, either way.
TOLERANCE = 300
MAX_ID = 200


class WebhookRefused(Exception):
    """An inbound message that must not be processed; ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadSignature(WebhookRefused):
    """No signature, or none made with this connection's secret."""

    status = 401


class StaleTimestamp(WebhookRefused):
    """The timestamp is outside the window (an old message replayed, or a wrong clock)."""


class MalformedHeaders(WebhookRefused):
    """A header is missing or not of the scheme's form."""


class Replayed(WebhookRefused):
    """The message id was already received (``inbound.py`` raises it)."""

    status = 409


class BadSecret(ValueError):
    """A secret that is not ``whsec_`` followed by base64 of 24 to 64 bytes."""


def new_secret() -> str:
    """A fresh secret: ``whsec_`` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret (the prefix is optional, as in the reference
    libraries); :class:`BadSecret` when it is not base64 of 24 to 64 bytes."""
    text = secret.strip()
    text = text[len(PREFIX):] if text.startswith(PREFIX) else text
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadSecret("The secret is not base64 after 'whsec_'.") from None
    if not 24 <= len(key) <= 64:
        raise BadSecret("The secret must hold 24 to 64 bytes.")
    return key


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of ``message`` under ``key`` (the primitive every scheme here uses)."""
    return hmac.new(key, message, hashlib.sha256).digest()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac_sha256(secret_key(secret), signed)).decode("ascii")


def sign(secret: str, body: bytes, message_id: str | None = None,
         timestamp: int | None = None) -> dict[str, str]:
    """The three headers of an outbound message (a new id and the current time unless given;
    a retry passes the message's id again, with a fresh timestamp)."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, message_id, timestamp, body)}


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:  # a plain dict may spell it otherwise; HTTP headers are case-blind
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    if not value:
        raise MalformedHeaders(f"missing {name} header")
    return str(value).strip()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None,
           tolerance: int = TOLERANCE) -> tuple[str, int]:
    """Check one inbound message over its raw ``body``; its ``(id, timestamp)``.

    Raises :class:`MalformedHeaders`, :class:`StaleTimestamp` or :class:`BadSignature`.
    The timestamp is checked before the signature, and the signature compared in constant
    time against each ``v1`` one given (a sender rotating its secret sends two).
    """
    message_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    given = _header(headers, "webhook-signature")
    if len(message_id) > MAX_ID or not message_id.isprintable():
        raise MalformedHeaders("webhook-id is too long or has control characters")
    if not stamp.isdigit() or len(stamp) > 12:
        raise MalformedHeaders("webhook-timestamp is not Unix seconds")
    timestamp = int(stamp)
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise StaleTimestamp("webhook-timestamp is outside the five-minute window")
    expected = signature(secret, message_id, timestamp, body).encode("ascii")
    for candidate in given.split():
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return message_id, timestamp
    raise BadSignature("no v1 signature matches the secret")
