"""Creating users, their passwords and signing them in; no Flask request in here."""

from __future__ import annotations

import datetime as dt
import logging
import math

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.service import record_event
from ..db import utcnow
from ..errors import DomainError
from . import policy, throttle
from .models import User
from .passwords import generate_password, hash_password, verify_password
from .sessions import revoke_session, revoke_user_sessions

log = logging.getLogger(__name__)


class LoginRefused(DomainError):
    """The user name or the password is wrong (which one is not said)."""


class LoginLocked(DomainError):
    """Too many failed sign-ins: tries are refused for ``retry_after``."""

    def __init__(self, message: str, retry_after: dt.timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def check_password_policy(password: str, username: str) -> None:
    """Raise DomainError naming every way ``password`` breaks the password policy."""
    problems = policy.password_problems(password, username)
    if problems:
        raise DomainError(" ".join(problems))


def create_user(session: Session, username: str, password: str, *,
                superuser: bool = False, display_name: str = "") -> User:
    """Add a user; raises DomainError when the name is taken or the password breaks the policy."""
    username = username.strip()
    if not username:
        raise DomainError(gettext("A user name is required."))
    check_password_policy(password, username)
    if find_user(session, username) is not None:
        raise DomainError(gettext("The user name %(name)s is already taken.", name=username))
    user = User(username=username, password_hash=hash_password(password),
                is_superuser=superuser, display_name=display_name or username)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str, *,
                 keep_session_key: str | None = None) -> None:
    """Give ``user`` a new password; raises DomainError when it breaks the password policy.

    Every sign-in of the user ends, but the session of ``keep_session_key`` (the user's own,
    when they changed their password themselves).
    """
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.flush()
    revoke_user_sessions(session, user.id, keep_key=keep_session_key)


def ensure_first_admin(session: Session, username: str = "admin",
                       password: str | None = None) -> tuple[User, str] | None:
    """Create the first administrator when there are no users at all.

    Returns ``(user, password)`` when one was created (the password generated unless given),
    or None when users already exist. A generated password always passes the policy.
    """
    if session.scalar(select(func.count(User.id))):
        return None
    if password is None:
        password = generate_password()
        while not policy.is_acceptable(password, username):
            password = generate_password()
    user = create_user(session, username, password, superuser=True,
                       display_name=_first_admin_name())
    return user, password


def _first_admin_name() -> str:
    """"Administrator" in the install's language (``CRM_DEMO_LANGUAGE``, Chinese by
    default): the name the operation log and every page show until the admin changes it."""
    from flask import current_app, has_app_context
    from flask_babel import force_locale, gettext

    from ..i18n import DEFAULT_LOCALE, normalize_locale

    if not has_app_context():
        return "Administrator"
    locale = normalize_locale(current_app.config.get("CRM_DEMO_LANGUAGE")) or DEFAULT_LOCALE
    with force_locale(locale):
        return gettext("Administrator")


def find_user(session: Session, username: str) -> User | None:
    """The user with this name (case-insensitive), active or not, or None."""
    return session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower()))


_dummy_hash: list[str] = []


def _spend_verify_time(password: str) -> None:
    # Verify against a throwaway hash so an unknown name takes as long as a wrong password.
    if not _dummy_hash:
        _dummy_hash.append(hash_password(generate_password()))
    verify_password(_dummy_hash[0], password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = find_user(session, username)
    if user is None:
        _spend_verify_time(password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    return user


def lockout_message(retry_after: dt.timedelta) -> str:
    """"Too many failed sign-ins. Try again in N minutes." (N rounded up)."""
    minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
    return ngettext("Too many failed sign-ins. Try again in %(num)d minute.",
                    "Too many failed sign-ins. Try again in %(num)d minutes.", minutes)


def sign_in(session: Session, username: str, password: str, ip: str,
            settings: throttle.ThrottleSettings) -> User:
    """Check a sign-in try against the throttle and the password; record and log it.

    Returns the user on success. Raises LoginLocked while the account or the IP is locked
    (even with the right password) and LoginRefused for a wrong name or password. The caller
    commits: the attempt and its operation-log entry are added to ``session``.
    """
    key = throttle.account_key(username)
    locked = throttle.locked_for(session, username, ip, settings)
    if locked is not None:
        log.warning("login refused: locked out", extra={
            "username": key, "ip": ip, "retry_after_s": int(locked.total_seconds())})
        record_event("login_failed", _l("Sign-in as “%(user)s” refused: too many failed "
                                         "tries.", user=key),
                     user=find_user(session, username) or key, session=session)
        raise LoginLocked(lockout_message(locked), locked)
    user = authenticate(session, username, password)
    throttle.record_attempt(session, username, ip, user is not None, settings)
    if user is None:
        log.warning("login failed", extra={"username": key, "ip": ip})
        record_event("login_failed", _l("Wrong user name or password for “%(user)s”.",
                                         user=key),
                     user=find_user(session, username) or key, session=session)
        raise LoginRefused(gettext("Wrong user name or password."))
    log.info("login", extra={"username": user.username, "ip": ip})
    record_event("login", _l("%(user)s signed in.", user=user.username), user=user,
                 session=session)
    return user


def change_password(session: Session, user: User, current: str, new: str, *,
                    keep_session_key: str | None = None) -> None:
    """Replace ``user``'s password after checking the current one; raises DomainError.

    The user's other sign-ins end; the one of ``keep_session_key`` (theirs) stays.
    """
    if not verify_password(user.password_hash, current):
        raise LoginRefused(gettext("The current password is wrong."))
    if new == current:
        raise DomainError(gettext("The new password must differ from the current one."))
    set_password(session, user, new, keep_session_key=keep_session_key)
    record_event("password_changed", _l("%(user)s changed their password.",
                                         user=user.username),
                 user=user, session=session)


def record_logout(session: Session, user: User, session_key: str | None = None) -> None:
    """End the sign-in of ``session_key`` and note in the logs and the operation log that
    ``user`` signed out."""
    if session_key:
        revoke_session(session, session_key)
    log.info("logout", extra={"username": user.username})
    record_event("logout", _l("%(user)s signed out.", user=user.username), user=user,
                 session=session)
