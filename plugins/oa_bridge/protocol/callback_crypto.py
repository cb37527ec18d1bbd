"""Callback crypto of DingTalk HTTP event subscriptions and WeCom (the WXBizMsgCrypt family).

The algorithm (integrations.md §3.0, WeCom doc 91144 "加解密方案说明", open-dingtalk
DingTalk-Callback-Crypto):

- ``AESKey = base64decode(EncodingAESKey + "=")``: 43 characters give 32 bytes (AES-256);
- AES-256-CBC with ``IV = AESKey[:16]`` and PKCS#7 padding to **32**-byte blocks;
- plaintext ``random(16) ‖ len(msg) (4 bytes, network order) ‖ msg ‖ receiver id``; the receiver
  id is the WeCom corpid (suiteid for a third-party suite, empty for a personal third-party app)
  or the DingTalk appKey (event subscription), corpId (old callback registration) or suiteKey;
- ``signature = sha1("".join(sorted([token, timestamp, nonce, encrypt]))).hexdigest()``.

Protocol notes found while checking the published vectors (also in docs/oa_bridge.md):

- Both published EncodingAESKeys end in a character whose low bits are not zero, so
  ``key + "="`` is *non-canonical* base64. Lenient decoders (Python, Java) accept it; strict ones
  (Go's ``StdEncoding.Strict()``, Rust's ``base64`` crate by default) refuse it. We decode leniently
  about those bits but strictly about length and alphabet.
- The DingTalk reply timestamp is in milliseconds (the Java reference uses
  ``System.currentTimeMillis()``); the Python sample sends seconds and the C# sample sends
  ``DateTime.Now.Millisecond`` (0-999), both slips. The Python sample also measures ``msg_len`` in
  characters, not UTF-8 bytes, and base64-encodes with line breaks; we count bytes and never wrap.
- WeCom's URL-verification answer is the *decrypted* ``echostr`` in plain text; nothing is
  encrypted on the way back. Encryption is needed there only by whoever *builds* an echostr
  (the fake vendor server in tests).

The signature is always checked before decrypting (:meth:`CallbackCrypto.open`), so the padding
and layout checks cannot serve as a padding oracle to an unauthenticated sender.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import string
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException, ElementTree

from plugins.oa_bridge.protocol.errors import (
    BadKey,
    DecryptError,
    MalformedCallback,
    SignatureMismatch,
    WrongReceiver,
    json_object,
)

__all__ = [
    "BLOCK",
    "CallbackCrypto",
    "Sealed",
    "aes_key_from_encoding",
    "callback_signature",
    "dingtalk_open_event",
    "dingtalk_reply",
    "new_nonce",
    "wecom_open_message",
    "wecom_reply_xml",
    "wecom_verify_url",
    "wecom_xml_fields",
]

#: The vendors pad to 32-byte blocks (twice the AES block), not 16.
BLOCK = 32
_AES_BLOCK = 16
_B64_ALPHABET = frozenset(string.ascii_letters + string.digits + "+/")
_NONCE_ALPHABET = string.ascii_letters + string.digits


def aes_key_from_encoding(encoding_aes_key: str) -> bytes:
    """Turn a 43-character EncodingAESKey into the 32-byte AES key; :class:`BadKey` otherwise."""
    if len(encoding_aes_key) != 43:
        raise BadKey("EncodingAESKey must be 43 characters")
    if not set(encoding_aes_key) <= _B64_ALPHABET:
        raise BadKey("EncodingAESKey has characters outside base64")
    key = base64.b64decode(encoding_aes_key + "=", validate=True)
    if len(key) != 32:  # pragma: no cover - 43 base64 chars always give 32 bytes
        raise BadKey("EncodingAESKey does not decode to 32 bytes")
    return key


def callback_signature(token: str, timestamp: str | int, nonce: str, encrypt: str) -> str:
    """SHA-1 hex of the four values sorted as strings and joined (DingTalk and WeCom)."""
    parts = sorted([token, str(timestamp), nonce, encrypt])
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()  # noqa: S324 - vendor protocol


def new_nonce(length: int = 16) -> str:
    """A random alphanumeric nonce for a reply (safe inside XML CDATA and JSON)."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def _pad(data: bytes) -> bytes:
    size = BLOCK - len(data) % BLOCK
    return data + bytes([size]) * size


def _unpad(data: bytes) -> bytes:
    size = data[-1]
    if not 1 <= size <= BLOCK or size > len(data) or data[-size:] != bytes([size]) * size:
        raise DecryptError("bad padding")
    return data[:-size]


@dataclass(frozen=True)
class Sealed:
    """An encrypted and signed message: what a reply (or a fake vendor's callback) carries."""

    encrypt: str
    signature: str
    timestamp: str
    nonce: str


class CallbackCrypto:
    """The token, AES key and receiver id of one DingTalk or WeCom callback subscription.

    ``repr()`` names only the receiver id, so an instance in a log or traceback leaks nothing.
    """

    def __init__(self, token: str, encoding_aes_key: str, receiver_id: str) -> None:
        """Check and keep the settings; :class:`BadKey` for an empty token or a malformed key."""
        if not token:
            raise BadKey("token is empty")
        self._token = token
        self._key = aes_key_from_encoding(encoding_aes_key)
        self.receiver_id = receiver_id

    def __repr__(self) -> str:
        return f"CallbackCrypto(receiver_id={self.receiver_id!r})"

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:_AES_BLOCK]))

    def sign(self, timestamp: str | int, nonce: str, encrypt: str) -> str:
        """The signature the vendor puts in ``signature`` / ``msg_signature`` for ``encrypt``."""
        return callback_signature(self._token, timestamp, nonce, encrypt)

    def verify(self, signature: str, timestamp: str | int, nonce: str, encrypt: str) -> None:
        """Raise :class:`SignatureMismatch` unless ``signature`` matches (constant time)."""
        expected = self.sign(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode("ascii"), signature.lower().encode("utf-8")):
            raise SignatureMismatch("signature mismatch")

    def encrypt(self, message: bytes | str, *, random_prefix: bytes | None = None) -> str:
        """Encrypt ``message`` with this receiver id as trailer; base64 without line breaks.

        ``random_prefix`` (16 bytes) is for reproducible tests only; by default it is random.
        """
        body = message.encode("utf-8") if isinstance(message, str) else message
        prefix = os.urandom(16) if random_prefix is None else random_prefix
        if len(prefix) != 16:
            raise ValueError("random_prefix must be 16 bytes")
        plain = prefix + struct.pack(">I", len(body)) + body + self.receiver_id.encode("utf-8")
        encryptor = self._cipher().encryptor()
        raw = encryptor.update(_pad(plain)) + encryptor.finalize()
        return base64.b64encode(raw).decode("ascii")

    def decrypt(self, encrypt: str) -> bytes:
        """Decrypt and check the layout and trailer, *without* checking the signature.

        Call :meth:`open` on anything that came over the network; this is its second half.
        Raises :class:`DecryptError` or :class:`WrongReceiver`.
        """
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise DecryptError("ciphertext is not base64") from None
        if len(raw) < BLOCK or len(raw) % _AES_BLOCK:
            raise DecryptError("ciphertext length is not whole blocks")
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(raw) + decryptor.finalize())
        if len(plain) < 20:
            raise DecryptError("plaintext shorter than its header")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise DecryptError("length field exceeds the plaintext")
        trailer = plain[20 + length:]
        if not hmac.compare_digest(trailer, self.receiver_id.encode("utf-8")):
            raise WrongReceiver("receiver id mismatch")
        return plain[20:20 + length]

    def open(self, signature: str, timestamp: str | int, nonce: str, encrypt: str) -> bytes:
        """Verify the signature, then decrypt: the one call for an inbound callback."""
        self.verify(signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def seal(self, message: bytes | str, *, timestamp: str | int, nonce: str) -> Sealed:
        """Encrypt ``message`` and sign it with ``timestamp`` and ``nonce``."""
        encrypt = self.encrypt(message)
        return Sealed(encrypt, self.sign(timestamp, nonce, encrypt), str(timestamp), nonce)


# --- DingTalk (JSON envelope) -----------------------------------------------------------------


def dingtalk_open_event(crypto: CallbackCrypto, *, signature: str, timestamp: str, nonce: str,
                        body: bytes) -> dict[str, Any]:
    """Open a DingTalk HTTP callback: body ``{"encrypt": …}`` → the decrypted event as a dict.

    ``signature`` is the query's ``msg_signature``, else its ``signature``; ``timestamp`` is
    ``timeStamp``, else ``timestamp`` (as the open-dingtalk reference reads them), in
    milliseconds. Check freshness and replay separately (freshness.py).
    """
    encrypt = json_object(body, "body").get("encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise MalformedCallback("body has no encrypt field")
    return json_object(crypto.open(signature, timestamp, nonce, encrypt), "event")


def dingtalk_reply(crypto: CallbackCrypto, message: str = "success", *, timestamp_ms: int,
                   nonce: str | None = None) -> dict[str, str]:
    """The JSON answer DingTalk expects: ``message`` (``"success"``) encrypted and signed.

    Keys are exactly ``msg_signature``, ``timeStamp``, ``nonce``, ``encrypt``. It must be sent
    within 1500 ms of the callback (the ``check_url`` handshake included).
    """
    sealed = crypto.seal(message, timestamp=timestamp_ms, nonce=nonce or new_nonce())
    return {"msg_signature": sealed.signature, "timeStamp": sealed.timestamp,
            "nonce": sealed.nonce, "encrypt": sealed.encrypt}


# --- WeCom (XML envelope) ---------------------------------------------------------------------

def wecom_verify_url(crypto: CallbackCrypto, *, msg_signature: str, timestamp: str, nonce: str,
                     echostr: str) -> str:
    """Answer WeCom's GET handshake: verify, decrypt ``echostr``, return the plain text.

    The route returns it as the body exactly as is (no quotes, BOM or newline) within 1 s.
    ``echostr`` must be the URL-decoded value; a ``+`` turned into a space by a careless decoder
    fails here as "not base64".
    """
    return crypto.open(msg_signature, timestamp, nonce, echostr).decode("utf-8")


def wecom_xml_fields(xml: bytes | str) -> dict[str, str]:
    """The direct children of a WeCom ``<xml>`` document as ``{tag: text}`` (defused parser)."""
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException):
        raise MalformedCallback("body is not well-formed XML") from None
    return {child.tag: (child.text or "") for child in root}


def wecom_open_message(crypto: CallbackCrypto, *, msg_signature: str, timestamp: str, nonce: str,
                       body: bytes) -> bytes:
    """Open a WeCom POST callback: the ``<Encrypt>`` of the XML body → the decrypted XML bytes.

    Parse the result with :func:`wecom_xml_fields`. Dedupe by ``MsgId``, or by
    ``FromUserName`` + ``CreateTime`` for events.
    """
    encrypt = wecom_xml_fields(body).get("Encrypt")
    if not encrypt:
        raise MalformedCallback("body has no Encrypt element")
    return crypto.open(msg_signature, timestamp, nonce, encrypt)


def wecom_reply_xml(crypto: CallbackCrypto, message: bytes | str, *, timestamp: int,
                    nonce: str | None = None) -> str:
    """A passive encrypted reply: ``<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>``."""
    nonce = nonce or new_nonce()
    if not nonce.isalnum():
        raise ValueError("nonce must be alphanumeric")
    sealed = crypto.seal(message, timestamp=int(timestamp), nonce=nonce)
    return ("<xml>"
            f"<Encrypt><![CDATA[{sealed.encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{sealed.signature}]]></MsgSignature>"
            f"<TimeStamp>{sealed.timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{sealed.nonce}]]></Nonce>"
            "</xml>")
