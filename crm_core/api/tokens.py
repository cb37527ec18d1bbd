"""Personal API tokens: create (the plain text shown once), find by hash, revoke, list.

A token reads ``crm_<prefix>_<secret>``. Only its SHA-256 hash is stored; the prefix is kept
in the clear so people can tell their tokens apart. No Flask request in here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..auth.models import User
from ..db import utcnow
from ..errors import DomainError
from .models import ApiToken

TOKEN_PREFIX = "crm_"
MAX_NAME_LENGTH = 120
#: ``last_used_at`` is written at most this often per token, so reads stay reads.
TOUCH_INTERVAL = dt.timedelta(minutes=1)
#: The execution option that marks ``record_use``'s write: it changes nothing a request signs
#: in with, so the token cache (``token_cache``) is not emptied by it.
BOOKKEEPING = "crm_token_bookkeeping"


def hash_token(plain: str) -> str:
    """The SHA-256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Give ``user`` a new token; returns the row and the plain token (never stored)."""
    name = (name or "").strip()
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(f"A token name can have at most {MAX_NAME_LENGTH} characters.")
    if not user.is_active:
        raise DomainError(f"The user {user.username} is disabled and cannot get a token.")
    prefix = secrets.token_hex(4)
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=hash_token(plain))
    session.add(token)
    session.flush()
    return token, plain


#: Built once, bound per request: building it each time cost about 2.5 % of an API list
#: request's CPU (issue 11, throughput); the hash is a parameter, nothing else is kept.
_TOKEN_AND_USER = (select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                   .where(ApiToken.token_hash == bindparam("token_hash")))


def find_active_token(session: Session, plain: str) -> ApiToken | None:
    """The unrevoked token whose text is ``plain`` and whose user is active, or None."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    # the token and its user in one statement (issue 11: one round trip per API request
    # less); ``token.user_row`` keeps the user for the request loader, which would otherwise
    # load it again (the session's identity map holds objects weakly)
    row = session.execute(_TOKEN_AND_USER, {"token_hash": hash_token(plain)}).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.is_active:
        return None
    token.user_row = user
    return token


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def needs_touch(token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Whether ``last_used_at`` is older than ``TOUCH_INTERVAL`` (or unset)."""
    now = now or utcnow()
    return token.last_used_at is None or now - _as_utc(token.last_used_at) >= TOUCH_INTERVAL


def record_use(connection: Connection, token_id: int, now: dt.datetime | None = None) -> bool:
    """Set the token's ``last_used_at`` unless it was set within ``TOUCH_INTERVAL``.

    One conditional UPDATE, so concurrent requests write it once. It runs on a plain
    connection, not a session: bookkeeping, not a change the operation log should list once
    a minute. Returns whether it wrote; the caller commits.
    """
    now = now or utcnow()
    table = ApiToken.__table__
    result = connection.execute(
        update(table)
        .where(table.c.id == token_id,
               or_(table.c.last_used_at.is_(None), table.c.last_used_at <= now - TOUCH_INTERVAL))
        .values(last_used_at=now), execution_options={BOOKKEEPING: True})
    return bool(result.rowcount)


def revoke_token(session: Session, token_id: int, user_id: int | None = None) -> ApiToken:
    """Revoke a token (of ``user_id`` when given); raises DomainError when there is none.

    Revoking an already revoked token keeps its first revocation time.
    """
    token = session.get(ApiToken, token_id)
    if token is None or (user_id is not None and token.user_id != user_id):
        raise DomainError(f"There is no API token with id {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def tokens_of(user_id: int | None = None) -> Select[tuple[ApiToken]]:
    """A statement selecting the tokens of one user (or everyone's), for ``paginate``."""
    statement = select(ApiToken)
    if user_id is not None:
        statement = statement.where(ApiToken.user_id == user_id)
    return statement


def find_user(session: Session, username: str) -> User:
    """The user called ``username`` (any case); raises DomainError when there is none."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise DomainError(f"There is no user called {username!r}.")
    return user
