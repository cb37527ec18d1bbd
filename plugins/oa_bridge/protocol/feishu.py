"""Feishu / Lark event subscription: decryption, the X-Lark-Signature check, url_verification.

The algorithm (integrations.md §3.0; larksuite/oapi-sdk-python ``core/utils/decryptor.py`` and
``event/dispatcher_handler.py``):

- key = ``SHA256(encrypt_key)`` (32 bytes, AES-256-CBC); the IV is the first 16 bytes of
  ``base64decode(encrypt)``; PKCS#7 padding to 16-byte blocks (unlike DingTalk/WeCom's 32); the
  plaintext is the JSON event itself, with no random prefix, length or receiver trailer;
- ``X-Lark-Signature = sha256(X-Lark-Request-Timestamp + X-Lark-Request-Nonce + encrypt_key +
  raw_body).hexdigest()`` over the raw body bytes;
- the Verification Token is ``token`` (schema 1 and url_verification) or ``header.token``
  (schema 2.0).

Notes (also in docs/oa_bridge.md):

- The official SDK checks the Verification Token first and answers ``url_verification`` without
  checking X-Lark-Signature; for every other event it checks the signature *after* decrypting.
  Here the signature, when its headers are present, is checked *before* decrypting, so a sender
  without the key never reaches the padding check. Without signature headers only a
  url_verification is accepted (whether Feishu signs the challenge request is unverified).
- The SDK compares the signature and the token with ``!=``; here both use ``hmac.compare_digest``.
- An unencrypted (plaintext) event is refused: a connection must have an Encrypt Key, since the
  Verification Token alone travels in clear in every event.
- The published vector (``test key`` / ``hello world``) decrypts to a non-JSON text; it checks
  the cipher only, so :func:`decrypt` returns bytes and JSON parsing is a separate step.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from plugins.oa_bridge.protocol.errors import (
    BadKey,
    DecryptError,
    MalformedCallback,
    SignatureMismatch,
    json_object,
)

__all__ = [
    "URL_VERIFICATION",
    "FeishuEvent",
    "aes_key",
    "decrypt",
    "encrypt",
    "event_id",
    "event_token",
    "open_request",
    "request_signature",
    "verify_request_signature",
]

URL_VERIFICATION = "url_verification"
_BLOCK = 16


def aes_key(encrypt_key: str) -> bytes:
    """The AES-256 key: SHA-256 of the Encrypt Key's UTF-8 bytes; :class:`BadKey` if empty."""
    if not encrypt_key:
        raise BadKey("encrypt key is empty")
    return hashlib.sha256(encrypt_key.encode("utf-8")).digest()


def encrypt(plaintext: bytes | str, encrypt_key: str, *, iv: bytes | None = None) -> str:
    """Encrypt as Feishu does: base64(IV ‖ AES-CBC(PKCS#7-16(plaintext))).

    Used by the fake vendor server and tests; ``iv`` is random unless given (16 bytes).
    """
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    iv = os.urandom(_BLOCK) if iv is None else iv
    if len(iv) != _BLOCK:
        raise ValueError("iv must be 16 bytes")
    size = _BLOCK - len(data) % _BLOCK
    encryptor = Cipher(algorithms.AES(aes_key(encrypt_key)), modes.CBC(iv)).encryptor()
    raw = encryptor.update(data + bytes([size]) * size) + encryptor.finalize()
    return base64.b64encode(iv + raw).decode("ascii")


def decrypt(encrypted: str, encrypt_key: str) -> bytes:
    """Decrypt an ``encrypt`` field; :class:`DecryptError` on bad base64, length or padding."""
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptError("ciphertext is not base64") from None
    if len(raw) < 2 * _BLOCK or len(raw) % _BLOCK:
        raise DecryptError("ciphertext length is not whole blocks")
    decryptor = Cipher(algorithms.AES(aes_key(encrypt_key)), modes.CBC(raw[:_BLOCK])).decryptor()
    plain = decryptor.update(raw[_BLOCK:]) + decryptor.finalize()
    size = plain[-1]
    if not 1 <= size <= _BLOCK or plain[-size:] != bytes([size]) * size:
        raise DecryptError("bad padding")
    return plain[:-size]


def request_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """The expected ``X-Lark-Signature``: SHA-256 hex of timestamp+nonce+encrypt_key+raw body."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()


def verify_request_signature(signature: str, timestamp: str, nonce: str, encrypt_key: str,
                             body: bytes) -> None:
    """Raise :class:`SignatureMismatch` unless ``signature`` matches (constant time)."""
    expected = request_signature(timestamp, nonce, encrypt_key, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.lower().encode("utf-8")):
        raise SignatureMismatch("signature mismatch")


def event_token(payload: dict[str, Any]) -> str | None:
    """The Verification Token of an event: ``header.token`` (schema 2.0) or ``token``."""
    header = payload.get("header")
    token = header.get("token") if isinstance(header, dict) else payload.get("token")
    return token if isinstance(token, str) else None


def event_id(payload: dict[str, Any]) -> str | None:
    """The id to dedupe on: ``header.event_id`` (schema 2.0) or ``uuid`` (schema 1)."""
    header = payload.get("header")
    value = header.get("event_id") if isinstance(header, dict) else payload.get("uuid")
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class FeishuEvent:
    """An accepted request: the decrypted ``payload``, and the answer if it is a challenge."""

    payload: dict[str, Any]
    challenge: str | None = None

    def answer(self) -> dict[str, str]:
        """The JSON body to return: ``{"challenge": …}`` for url_verification, else a success."""
        if self.challenge is not None:
            return {"challenge": self.challenge}
        return {"msg": "success"}


def open_request(*, body: bytes, encrypt_key: str, verification_token: str,
                 timestamp: str | None = None, nonce: str | None = None,
                 signature: str | None = None) -> FeishuEvent:
    """Check and open one Feishu callback request.

    ``timestamp``, ``nonce`` and ``signature`` are the ``X-Lark-Request-Timestamp``,
    ``X-Lark-Request-Nonce`` and ``X-Lark-Signature`` headers (None when absent). With them the
    signature is checked before anything is decrypted; without them only a url_verification is
    accepted. Then the Verification Token is compared. Check the timestamp's freshness and the
    event id (:func:`event_id`) separately (freshness.py).
    """
    if not verification_token:
        raise BadKey("verification token is empty")
    signed = signature is not None
    if signed:
        if timestamp is None or nonce is None:
            raise MalformedCallback("signature without timestamp or nonce")
        verify_request_signature(signature, timestamp, nonce, encrypt_key, body)
    envelope = json_object(body, "body")
    encrypted = envelope.get("encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise MalformedCallback("event is not encrypted")
    payload = json_object(decrypt(encrypted, encrypt_key), "event")
    token = event_token(payload) or ""
    if not hmac.compare_digest(token.encode("utf-8"), verification_token.encode("utf-8")):
        raise SignatureMismatch("verification token mismatch")
    if payload.get("type") == URL_VERIFICATION:
        challenge = payload.get("challenge")
        if not isinstance(challenge, str):
            raise MalformedCallback("url_verification without challenge")
        return FeishuEvent(payload, challenge)
    if not signed:
        raise SignatureMismatch("event without signature")
    return FeishuEvent(payload)
