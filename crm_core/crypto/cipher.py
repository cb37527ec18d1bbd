"""Encrypting short texts with the current key, and blind indexes for exact lookups.

A ciphertext is text: ``enc1:<key id>:<URL-safe base64 of nonce + AES-256-GCM output>``.
The key id tells which key of the ring opens it, so rows written under several keys live
side by side while ``crm keys rotate`` runs. The purpose (``customers.id_card_number``) is
authenticated with it: a value copied into another column does not open there.

A blind index is HMAC-SHA256 of the normalised value under a key derived for that purpose:
equal values give equal indexes (an exact lookup is an index seek) but the index reveals
nothing else, and without the key nobody can test guesses against it. Lookups compute the
index under every key of the ring, so they keep working in the middle of a rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from .keyring import KeyRing, ring_for

PREFIX = "enc1:"
NONCE = 12
_AFTER_PREFIX = len(PREFIX)
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class KeyUnavailable(DomainError):
    """Stored data needs a key the ring does not hold, or the key does not open it.

    Pages and the API answer 503 with this message (never a 500): the data is intact, the
    configuration is wrong.
    """

    status = 503


def ring() -> KeyRing:
    """The key ring of the current app."""
    return ring_for(current_app.config)


def is_encrypted(value: str | None) -> bool:
    """Whether ``value`` is a ciphertext of ``encrypt_text`` (older rows may hold plain text)."""
    return bool(value) and value.startswith(PREFIX)  # type: ignore[union-attr]


def key_id_of(value: str) -> str | None:
    """The id of the key that encrypted ``value`` (None for plain text)."""
    if not is_encrypted(value):
        return None
    return value[len(PREFIX):].partition(":")[0]


def encrypt_text(plain: str, purpose: str) -> str:
    """``plain`` encrypted under the current key, bound to ``purpose``."""
    key = ring().current
    nonce = os.urandom(NONCE)
    sealed = key.data_cipher.encrypt(nonce, plain.encode("utf-8"), purpose.encode())
    return f"{PREFIX}{key.id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def decrypt_text(value: str, purpose: str, keys: KeyRing | None = None) -> str:
    """The text of a ciphertext (plain text from before encryption is returned as is).
    ``keys``: the ring to open it with (default: the current app's).

    Raises KeyUnavailable naming the key id when the ring lacks that key or it is the wrong
    key (or the value was damaged or moved from another column).
    """
    if not value or not value.startswith(PREFIX):
        return value
    key_id, _, body = value[_AFTER_PREFIX:].partition(":")
    key = (keys if keys is not None else ring()).get(key_id)
    if key is None:
        raise KeyUnavailable(_l(
            "Stored data is encrypted with the key \"%(key)s\", which CRM_ENCRYPTION_KEY does "
            "not hold. An administrator must add that key (see Encryption at rest in the "
            "operations guide).", key=key_id[:32]))
    try:
        # urlsafe_b64decode's own steps, without its two layers of calls (a list page
        # opens ~50 values)
        raw = binascii.a2b_base64(body.encode("ascii").translate(_FROM_URLSAFE))
        plain = key.data_cipher.decrypt(raw[:NONCE], raw[NONCE:], purpose.encode())
        return plain.decode("utf-8")
    except (InvalidTag, ValueError, UnicodeError):
        raise KeyUnavailable(_l(
            "Stored data cannot be decrypted with the key \"%(key)s\" of CRM_ENCRYPTION_KEY: "
            "the key is not the one it was encrypted with, or the data was damaged.",
            key=key_id[:32])) from None


def blind_index(value: str, purpose: str,
                normalise: Callable[[str], str] | None = None) -> list[str]:
    """The blind indexes of ``value`` under every key of the ring, current key first (store
    the first; look up with all of them). An empty value has none."""
    text = normalise(value) if normalise else value.strip()
    if not text:
        return []
    message = text.encode("utf-8")
    return [hmac.new(key.index_key(purpose), message, hashlib.sha256).hexdigest()
            for key in ring().keys]


def current_index(value: str | None, purpose: str,
                  normalise: Callable[[str], str] | None = None) -> str | None:
    """The blind index to store for ``value`` (current key), None for an empty value."""
    found = blind_index(value or "", purpose, normalise)
    return found[0] if found else None


def seal_json(value: Any, purpose: str) -> str:
    """``value`` (JSON-able) as one ciphertext: for plain data kept in a JSON column that
    may hold what encrypted columns protect (an import's sample rows)."""
    return encrypt_text(json.dumps(value, ensure_ascii=False), purpose)


def open_json(value: Any, purpose: str) -> Any:
    """What ``seal_json`` sealed; any other value (stored before) as it is."""
    if isinstance(value, str) and is_encrypted(value):
        return json.loads(decrypt_text(value, purpose))
    return value
