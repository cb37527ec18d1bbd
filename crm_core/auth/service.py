"""Creating users and signing them in; no Flask request in here."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import DomainError
from .models import User
from .passwords import generate_password, hash_password, verify_password

MIN_PASSWORD_LENGTH = 8


def create_user(session: Session, username: str, password: str, *,
                superuser: bool = False, display_name: str = "") -> User:
    """Add a user; raises DomainError when the name is taken or the password too short."""
    username = username.strip()
    if not username:
        raise DomainError("A user name is required.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise DomainError(f"The user name {username!r} is already taken.")
    user = User(username=username, password_hash=hash_password(password),
                is_superuser=superuser, display_name=display_name or username)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Give ``user`` a new password; raises DomainError when it breaks the password policy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.flush()


def ensure_first_admin(session: Session, username: str = "admin",
                       password: str | None = None) -> tuple[User, str] | None:
    """Create the first administrator when there are no users at all.

    Returns ``(user, password)`` when one was created (the password generated unless given),
    or None when users already exist.
    """
    if session.scalar(select(func.count(User.id))):
        return None
    password = password or generate_password()
    user = create_user(session, username, password, superuser=True, display_name="Administrator")
    return user, password


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        return None
    return user
