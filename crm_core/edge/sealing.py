"""Secrets a plugin must store and read back: an ERP's API key, an OA app's secret.

``seal(text)`` encrypts with Fernet (AES-128-CBC with an HMAC-SHA256, from ``cryptography``)
under ``CRM_ENCRYPTION_KEY``: one Fernet key, or several separated by commas to rotate keys
(the first seals, every one opens: to rotate, put the new key first, reseal, then drop the
old one; ``crm encryption-key`` prints a new key). Without it the key is derived from
``CRM_SECRET_KEY`` (HKDF-SHA256), so a fresh install works; production sets its own key,
so that rotating the session secret does not make stored credentials unreadable. A sealed
value is text (store it in a ``Text`` column); never log the opened one.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from ..crypto.keyring import ring_for
from ..errors import ConfigError, CrmError


class SealError(CrmError):
    """A sealed value that none of the configured keys opens (another key, or damaged)."""


def _derived_key(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"crm-sealing",
               info=b"CRM_ENCRYPTION_KEY").derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


def _box() -> MultiFernet:
    configured = str(current_app.config.get("CRM_ENCRYPTION_KEY") or "").strip()
    # the ring's ``ID:KEY`` entries (crm_core.crypto.keyring) or bare Fernet keys
    keys = [key.fernet for key in ring_for(current_app.config).keys] if configured \
        else [_derived_key(str(current_app.config["CRM_SECRET_KEY"]))]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as bad:
        raise ConfigError("CRM_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64 bytes; "
                          "make one with `crm encryption-key`)") from bad


def seal(text: str) -> str:
    """``text`` encrypted under the first configured key, as URL-safe text."""
    return _box().encrypt(text.encode("utf-8")).decode("ascii")


def unseal(sealed: str) -> str:
    """The text ``seal`` encrypted; ``SealError`` when no configured key opens it."""
    try:
        return _box().decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as bad:
        raise SealError("A stored secret cannot be decrypted with CRM_ENCRYPTION_KEY: it was "
                        "sealed with another key, or damaged. Enter it again.") from bad


def new_key() -> str:
    """A fresh key for ``CRM_ENCRYPTION_KEY``."""
    return Fernet.generate_key().decode("ascii")
