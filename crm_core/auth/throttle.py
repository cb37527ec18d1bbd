"""Login throttling, kept in the database so every web process sees the same counts.

After ``max_failures`` failed sign-ins within ``lockout`` for one account (or from one IP),
further tries are refused until ``lockout`` has passed since the failure that tripped the
lock. Refused tries are not recorded, so hammering a locked account does not lengthen the
lock. A successful sign-in resets the account's count (failures before it no longer count);
an IP's count is not reset by one account signing in from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db import stored_time as _aware
from ..db import utcnow
from ..metrics.instruments import FAILED_SIGN_INS
from .models import LoginAttempt

USERNAME_MAX = 80
IP_MAX = 45
KEEP_AT_LEAST = dt.timedelta(days=1)
# Refused tries are not recorded, so a look-back holds few rows; the limit only bounds the worst.
ROWS_LOOKED_AT = 500


@dataclass(frozen=True)
class ThrottleSettings:
    """How many failures lock, and for how long (also the window they are counted in)."""

    max_failures: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)


def account_key(username: str) -> str:
    """The name attempts are counted under: what was typed, trimmed and lower case."""
    return username.strip().lower()[:USERNAME_MAX]



def _locked_until(failures: list[dt.datetime], settings: ThrottleSettings) -> dt.datetime | None:
    """The end of the latest lock tripped by ``failures`` (ascending), or None."""
    until = None
    n = settings.max_failures
    for i in range(n - 1, len(failures)):
        if failures[i] - failures[i - n + 1] <= settings.lockout:
            until = failures[i] + settings.lockout
    return until


def _account_failures(session: Session, key: str, since: dt.datetime) -> list[dt.datetime]:
    rows = session.execute(
        select(LoginAttempt.at, LoginAttempt.success)
        .where(LoginAttempt.username == key, LoginAttempt.at >= since)
        .order_by(LoginAttempt.at.desc()).limit(ROWS_LOOKED_AT)).all()
    failures = []
    for at, success in rows:  # newest first: stop at the last success
        if success:
            break
        failures.append(_aware(at))
    return failures[::-1]


def _ip_failures(session: Session, ip: str, since: dt.datetime) -> list[dt.datetime]:
    times = session.scalars(
        select(LoginAttempt.at)
        .where(LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
        .order_by(LoginAttempt.at.desc()).limit(ROWS_LOOKED_AT)).all()
    return [_aware(at) for at in reversed(times)]


def locked_for(session: Session, username: str, ip: str, settings: ThrottleSettings,
               now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long sign-ins for ``username`` or from ``ip`` stay refused; None when not locked."""
    if settings.max_failures < 1:
        return None
    now = now or utcnow()
    # A lock still running was tripped by failures no older than two lockout periods.
    since = now - 2 * settings.lockout
    ends = [_locked_until(_account_failures(session, account_key(username), since), settings)]
    if ip:
        ends.append(_locked_until(_ip_failures(session, ip[:IP_MAX], since), settings))
    until = max((end for end in ends if end is not None), default=None)
    if until is None or until <= now:
        return None
    return until - now


def record_attempt(session: Session, username: str, ip: str, success: bool,
                   settings: ThrottleSettings, now: dt.datetime | None = None) -> LoginAttempt:
    """Record one sign-in try and forget this account's tries too old to matter."""
    now = now or utcnow()
    key = account_key(username)
    keep = max(KEEP_AT_LEAST, 2 * settings.lockout)
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == key,
                                               LoginAttempt.at < now - keep))
    attempt = LoginAttempt(username=key, ip=(ip or "")[:IP_MAX], success=success, at=now)
    if not success:
        FAILED_SIGN_INS.inc()
    session.add(attempt)
    session.flush()
    return attempt
