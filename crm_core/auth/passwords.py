"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: The hasher of the running process: argon2-cffi's recommended parameters (RFC 9106's
#: low-memory profile). ``crm_core.testing`` swaps in the cheapest argon2id for test runs.
RECOMMENDED = PasswordHasher()
_hasher = RECOMMENDED


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash new passwords with ``hasher`` from now on (every hash keeps its own parameters,
    so hashes made before still verify); returns the hasher it replaces."""
    global _hasher
    previous, _hasher = _hasher, hasher
    return previous


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; never raises on a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password fit to print once to an administrator."""
    return secrets.token_urlsafe(12)
