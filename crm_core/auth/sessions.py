"""Server-side sign-in sessions, so signing out (or a new password) ends every copy of a cookie.

Signing in makes a random key and stores only its SHA-256 in ``core_auth_session``. The key
is Flask-Login's user id (``User.get_id``), so the session cookie and the "remember me" cookie
both carry it, and the user loader accepts a key only while its row is not revoked, not
expired and its user is active: one indexed look-up per request, which also loads the user.

- Signing out revokes the row of that session.
- A password change revokes all the user's rows, but the session that made the change when
  the user changed their own.
- An administrator's new password for a user, and disabling a user, revoke all their rows.
- Every row expires ``CRM_REMEMBER_DAYS`` (default 14) after sign-in, as the "remember me"
  cookie does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session

from ..db import stored_time as _aware
from ..db import utcnow
from ..errors import ConfigError
from .models import AuthSession, User

DEFAULT_REMEMBER_DAYS = 14
MAX_REMEMBER_DAYS = 366
KEY_BYTES = 32
# last_seen_at is bookkeeping: written at most this often per session, never per request.
TOUCH_INTERVAL = dt.timedelta(minutes=5)
USER_AGENT_MAX = 200
IP_MAX = 45


def hash_key(key: str) -> str:
    """The SHA-256 (hex) stored for a session key; the key itself is never stored."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def remember_days(value: Any) -> int:
    """``CRM_REMEMBER_DAYS`` checked: a whole number of days from 1 to 366 (None: 14)."""
    if value is None or value == "":
        return DEFAULT_REMEMBER_DAYS
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_REMEMBER_DAYS:
        raise ConfigError(f"CRM_REMEMBER_DAYS must be a whole number of days from 1 to "
                          f"{MAX_REMEMBER_DAYS}, not {value!r}")
    return days


def start_session(session: Session, user_id: int, *, days: int = DEFAULT_REMEMBER_DAYS,
                  remember: bool = False, ip: str = "", user_agent: str = "") -> str:
    """Record a new sign-in of ``user_id`` lasting ``days``; returns its key (the caller
    commits and gives the key to Flask-Login through ``user.crm_session_key``)."""
    key = secrets.token_urlsafe(KEY_BYTES)
    now = utcnow()
    # The user's expired rows are of no more use: forget them while we are here.
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id,
                                              AuthSession.expires_at < now)
                    .execution_options(synchronize_session=False))
    session.add(AuthSession(key_hash=hash_key(key), user_id=user_id, remember=remember,
                            created_at=now, last_seen_at=now,
                            expires_at=now + dt.timedelta(days=days),
                            ip=(ip or "")[:IP_MAX], user_agent=(user_agent or "")[:USER_AGENT_MAX]))
    session.flush()
    return key


def find_session(session: Session, key: str, now: dt.datetime | None = None
                 ) -> tuple[AuthSession, User] | None:
    """The live session of ``key`` and its active user, in one query; None when the key is
    unknown, revoked or expired, or the user is disabled."""
    if not key or len(key) > 200:
        return None
    now = now or utcnow()
    row = session.execute(
        select(AuthSession, User).join(User, User.id == AuthSession.user_id)
        .where(AuthSession.key_hash == hash_key(key), AuthSession.revoked_at.is_(None),
               AuthSession.expires_at > now, User.is_active.is_(True))).first()
    return (row[0], row[1]) if row is not None else None



def needs_touch(row: AuthSession, now: dt.datetime | None = None) -> bool:
    """Whether ``last_seen_at`` is older than ``TOUCH_INTERVAL``."""
    return (now or utcnow()) - _aware(row.last_seen_at) >= TOUCH_INTERVAL


def touch(connection: Connection, session_id: int, now: dt.datetime | None = None) -> None:
    """Set ``last_seen_at`` unless another request just did (one conditional UPDATE on a
    plain connection: bookkeeping, outside the request's own transaction)."""
    now = now or utcnow()
    table = AuthSession.__table__
    connection.execute(update(table).where(table.c.id == session_id,
                                           table.c.last_seen_at < now - TOUCH_INTERVAL)
                       .values(last_seen_at=now))


def revoke_session(session: Session, key: str) -> bool:
    """End the session of ``key`` (signing out); returns whether one was live."""
    result = session.execute(
        update(AuthSession).where(AuthSession.key_hash == hash_key(key),
                                  AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return bool(result.rowcount)


def revoke_user_sessions(session: Session, user_id: int, *, keep_key: str | None = None) -> int:
    """End every live session of ``user_id`` except the one of ``keep_key``; returns how
    many were ended."""
    query = update(AuthSession).where(AuthSession.user_id == user_id,
                                      AuthSession.revoked_at.is_(None))
    if keep_key:
        query = query.where(AuthSession.key_hash != hash_key(keep_key))
    result = session.execute(query.values(revoked_at=utcnow())
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
