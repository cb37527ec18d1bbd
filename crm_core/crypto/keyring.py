"""The key ring: the keys in ``CRM_ENCRYPTION_KEY``, each with an id; the first is current.

Format: keys separated by commas, each ``ID:KEY`` where ``KEY`` is 32 random bytes in URL-safe
base64 (a Fernet key; ``crm keys generate`` prints a new entry) and ``ID`` is 1-32 letters,
digits, ``_`` or ``-``::

    CRM_ENCRYPTION_KEY="2027a:q5Wm...=,2026a:Jd2k...="

The first key encrypts; every key decrypts what carries its id. A bare ``KEY`` (the older
format, one Fernet key per entry) gets the id ``k`` + the first 8 hex digits of its SHA-256.
Unset, a key is generated on first use and kept in ``<instance>/encryption_key`` (mode 0600),
the way ``CRM_SECRET_KEY`` is, so a fresh install works with nothing set.

Each key is only a root: the data key (AES-256-GCM), the file key and each blind index's
HMAC key are derived from it with HKDF-SHA256 under different labels, so no derived key
opens what another one protects.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import ConfigError

log = logging.getLogger(__name__)
KEY_FILE = "encryption_key"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@lru_cache(maxsize=512)
def _derive(root: bytes, label: str, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"crm-keyring-v1",
                info=label.encode("utf-8")).derive(root)


@dataclass(frozen=True)
class Key:
    """One key of the ring: its id and its 32 secret bytes (``fernet`` is the configured text)."""

    id: str
    fernet: str
    root: bytes = field(repr=False)

    @cached_property
    def data_key(self) -> bytes:
        """The AES-256-GCM key of encrypted columns."""
        return _derive(self.root, "crm-data")

    @cached_property
    def data_cipher(self) -> AESGCM:
        """The AES-256-GCM cipher of encrypted columns (made once per key)."""
        return AESGCM(self.data_key)

    @cached_property
    def file_key(self) -> bytes:
        """The AES-256-GCM key of encrypted files."""
        return _derive(self.root, "crm-files")

    def index_key(self, purpose: str) -> bytes:
        """The HMAC-SHA256 key of the blind index of ``purpose``."""
        return _derive(self.root, f"crm-blind-index:{purpose}")


def new_key(key_id: str | None = None) -> str:
    """A fresh ring entry ``ID:KEY`` (the id defaults to ``k`` + 8 random hex digits)."""
    key_id = key_id or f"k{secrets.token_hex(4)}"
    if not _KEY_ID.match(key_id):
        raise ConfigError("A key id is 1-32 letters, digits, '_' or '-'.")
    raw = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    return f"{key_id}:{raw}"


def _parse_entry(entry: str) -> Key:
    key_id, sep, text = entry.partition(":")
    if not sep:  # a bare Fernet key (the older format)
        key_id, text = f"k{hashlib.sha256(entry.encode()).hexdigest()[:8]}", entry
    if not _KEY_ID.match(key_id):
        raise ConfigError(f"CRM_ENCRYPTION_KEY: {key_id[:40]!r} is not a key id (1-32 "
                          "letters, digits, '_' or '-').")
    try:
        root = base64.urlsafe_b64decode(text.encode("ascii"))
    except (ValueError, UnicodeError):
        root = b""
    if len(root) != 32:
        raise ConfigError(f"CRM_ENCRYPTION_KEY: the key {key_id!r} is not 32 bytes of "
                          "URL-safe base64; make one with `crm keys generate`.")
    return Key(key_id, text, root)


class KeyRing:
    """The configured keys, the current (first) one and a lookup by id."""

    def __init__(self, keys: list[Key], source: str) -> None:
        if not keys:
            raise ConfigError("CRM_ENCRYPTION_KEY holds no key.")
        ids = [key.id for key in keys]
        if len(set(ids)) != len(ids):
            raise ConfigError("CRM_ENCRYPTION_KEY names a key id twice.")
        self.keys = keys
        self.source = source  # "environment" or the key file's path
        self._by_id = {key.id: key for key in keys}

    @property
    def current(self) -> Key:
        """The key that encrypts."""
        return self.keys[0]

    def get(self, key_id: str) -> Key | None:
        """The key with this id, or None when the ring lacks it."""
        return self._by_id.get(key_id)

    @property
    def ids(self) -> list[str]:
        """The key ids, current first."""
        return [key.id for key in self.keys]


def parse(text: str, source: str = "environment") -> KeyRing:
    """The ring described by ``text`` (the format above); ConfigError names what is wrong."""
    entries = [part.strip() for part in str(text).split(",") if part.strip()]
    return KeyRing([_parse_entry(entry) for entry in entries], source)


def instance_key(instance: Path) -> str:
    """The key kept in ``<instance>/encryption_key`` (mode 0600), generated on first use."""
    path = instance / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    entry = new_key("local")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(entry + "\n")
    return entry


#: The configuration of the app whose engine each dialect belongs to (``serve_dialect``).
_CONFIG_OF_DIALECT: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()


def serve_dialect(dialect: Any, config: Any) -> None:
    """Let values read through ``dialect`` (an app's engine's) find that app's ring by
    ``config_of``, without the app context: finding it through ``current_app`` took more than
    a third of opening a value, and a list page opens ~50 (issue 11, throughput)."""
    _CONFIG_OF_DIALECT[dialect] = config


def config_of(dialect: Any) -> Any | None:
    """The configuration ``serve_dialect`` gave for ``dialect``, or None."""
    return _CONFIG_OF_DIALECT.get(dialect)


def ring_for(config: Any) -> KeyRing:
    """The ring of an app's configuration, built once per configured value."""
    setting = config.get("CRM_ENCRYPTION_KEY")
    last = config.get("_CRM_KEYRING_LAST")
    if last is not None and last[0] is setting:  # every encrypted value a page reads asks
        return last[1]
    found = _ring_of(config, setting)
    config["_CRM_KEYRING_LAST"] = (setting, found)
    return found


def _ring_of(config: Any, setting: Any) -> KeyRing:
    configured = str(setting or "").strip()
    cache = config.setdefault("_CRM_KEYRING_CACHE", {})
    if configured:
        if configured not in cache:
            cache[configured] = parse(configured)
        return cache[configured]
    found = cache.get("")
    if found is None:  # asked for every encrypted value a page reads: no path work after
        instance = Path(config["CRM_INSTANCE_PATH"])
        found = cache[""] = parse(instance_key(instance), str(instance / KEY_FILE))
    return found


def check_settings(config: Any) -> KeyRing:
    """Parse the ring at start-up (a malformed key stops the app with one clear line) and warn
    when a PostgreSQL install relies on a key file that other boxes would not share."""
    ring = ring_for(config)
    url = str(config.get("CRM_DATABASE_URL") or "")
    if not config.get("CRM_ENCRYPTION_KEY") and url.startswith("postgresql") \
            and not config.get("TESTING"):
        log.warning("CRM_ENCRYPTION_KEY is not set: encrypted data uses the key in %s. Set "
                    "CRM_ENCRYPTION_KEY on every web and worker host (the same value), and keep "
                    "it apart from the backups.", ring.source)
    return ring
