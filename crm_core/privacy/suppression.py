"""Keyed hashes of e-mails and phones, and the suppression list built from them.

The key is random per instance, made by migration core_0015 and kept in ``core_setting``
(``core.privacy_salt``): the list then survives a change of ``CRM_SECRET_KEY`` and travels
with a backup. It keeps the clear values out of the register and the list; it does not make
a phone number unguessable to someone holding the whole database (phone numbers are few
enough to try them all), which is why the tables are the kernel's alone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..settings_store.models import Setting
from .identity import PersonError, normalise_email, normalise_phone
from .models import PrivacySuppression

SALT_KEY = "core.privacy_salt"
_CACHE = "crm_privacy_salt"  # session.info: the key, read once per session


def _salt(session: Session) -> bytes:
    salt = session.info.get(_CACHE)
    if salt is None:
        value = session.execute(select(Setting.value).where(Setting.key == SALT_KEY)).scalar()
        if not value:  # a database made without the migration (tests on create_all)
            value = secrets.token_hex(32)
            session.connection().execute(insert(Setting.__table__).values(
                key=SALT_KEY, value=value))
        salt = session.info[_CACHE] = str(value).encode()
    return salt


def hash_value(session: Session, kind: str, value: str | None) -> str:
    """The keyed hash (hex) of a normalised e-mail or phone; "" for None."""
    if not value:
        return ""
    return hmac.new(_salt(session), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def suppress(session: Session, kind: str, value: str | None, erasure_id: int | None) -> None:
    """Put a normalised e-mail or phone on the list (once)."""
    digest = hash_value(session, kind, value)
    if digest and session.get(PrivacySuppression, digest) is None:
        session.add(PrivacySuppression(hash=digest, kind=kind, erasure_id=erasure_id))


def any_suppressed(session: Session, kind: str = "email") -> bool:
    """Whether anyone's ``kind`` (``email`` or ``phone``) is on the suppression list: one
    indexed query that lets a caller skip hashing a whole audience when nobody was erased."""
    return session.scalar(select(PrivacySuppression.hash)
                          .where(PrivacySuppression.kind == kind).limit(1)) is not None


def suppressed_emails(session: Session, emails: Iterable[str | None]) -> set[str]:
    """Those of ``emails`` (as given) that are on the suppression list.

    One query per 500 addresses; an address that cannot be read is left out."""
    by_hash: dict[str, list[str]] = {}
    for email in emails:
        try:
            normal = normalise_email(email)
        except PersonError:  # not an address, so never suppressed by this list
            normal = None
        if normal:
            by_hash.setdefault(hash_value(session, "email", normal), []).append(email or "")
    found: set[str] = set()
    hashes = list(by_hash)
    for start in range(0, len(hashes), 500):
        chunk = hashes[start:start + 500]
        for digest in session.scalars(select(PrivacySuppression.hash)
                                      .where(PrivacySuppression.hash.in_(chunk))):
            found.update(by_hash[digest])
    return found


def is_suppressed(session: Session, *, email: str | None = None,
                  phone: str | None = None) -> bool:
    """Whether this e-mail or phone (as stored or typed) belongs to an erased person."""
    if email and suppressed_emails(session, [email]):
        return True
    normal = normalise_phone(phone, strict=False) if phone else None
    if normal:
        digest = hash_value(session, "phone", normal)
        return session.get(PrivacySuppression, digest) is not None
    return False
