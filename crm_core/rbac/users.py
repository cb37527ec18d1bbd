"""User accounts as administrators manage them: roles, department, disabling, new passwords.

Creating a user and setting a password go through ``crm_core.auth.service`` (which owns the
password policy); this module adds what an administrator decides on top of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..auth.service import create_user, set_password
from ..auth.sessions import revoke_user_sessions
from ..auth.timezones import clean_timezone
from ..errors import DomainError
from .departments import get_department
from .service import FieldError, assign_roles

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PAGE_SIZE = 50


def user_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """``{id: display name, else user name}`` of the given users in one query (None ids and
    unknown users are left out): what a page shows as a record's owner or author."""
    wanted = sorted({user_id for user_id in user_ids if user_id is not None})
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name, User.username)
                           .where(User.id.in_(wanted)))
    return {row.id: row.display_name or row.username for row in rows}


def get_user(session: Session, user_id: int) -> User:
    """The user with this id; DomainError when there is none."""
    user = session.get(User, user_id)
    if user is None:
        raise DomainError(_("That user does not exist (any more)."))
    return user


def find_user(session: Session, username: str) -> User:
    """The user with this name (any case); DomainError naming it when there is none."""
    user = session.scalar(select(User).where(
        func.lower(User.username) == (username or "").strip().lower()))
    if user is None:
        raise DomainError(_("There is no user named %(name)s.", name=username))
    return user


def list_users(session: Session, search: str = "", after: str | None = None,
               limit: int = PAGE_SIZE) -> tuple[list[User], str | None]:
    """Users by name, ``limit`` at a time after the name ``after`` (keyset pagination).

    ``search`` matches any part of the user name or display name. Returns the page and the
    cursor of the next page (None on the last one).
    """
    query = select(User).order_by(User.username)
    search = (search or "").strip()
    if search:
        query = query.where(or_(User.username.icontains(search, autoescape=True),
                                User.display_name.icontains(search, autoescape=True)))
    if after:
        query = query.where(User.username > after)
    rows = list(session.scalars(query.limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].username
    return rows, None


def _clean_profile(display_name: str | None, email: str | None) -> tuple[str, str | None]:
    display_name = (display_name or "").strip()
    if len(display_name) > 120:
        raise FieldError("display_name", _("A display name has at most 120 characters."))
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL.match(email)):
        raise FieldError("email", _("This is not an e-mail address."))
    return display_name, email


def _check_department(session: Session, department_id: int | None) -> None:
    if department_id is not None:
        try:
            get_department(session, department_id)
        except DomainError as exc:
            raise FieldError("department", str(exc)) from exc


def _assign(session: Session, user: User, roles: Iterable[str]) -> None:
    try:
        assign_roles(session, user.id, sorted(set(roles)))
    except DomainError as exc:
        raise FieldError("roles", str(exc)) from exc
    user.__dict__.pop("_crm_permissions", None)


def create_account(session: Session, username: str, password: str, *,
                   display_name: str = "", email: str | None = None,
                   department_id: int | None = None, roles: Iterable[str] = (),
                   superuser: bool = False, timezone: str | None = None) -> User:
    """Add a user with roles and a department; the password must pass the password policy.

    ``timezone`` is an IANA name, or None/"" for ``CRM_DEFAULT_TIMEZONE``. Raises
    ``FieldError`` naming the field at fault (``username``, ``password``, ``email``,
    ``department``, ``roles``, ``timezone``).
    """
    display_name, email = _clean_profile(display_name, email)
    zone = clean_timezone(timezone)
    _check_department(session, department_id)
    username = (username or "").strip()
    if not username:
        raise FieldError("username", _("A user name is required."))
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise FieldError("username", _("The user name %(name)s is already taken.",
                                       name=username))
    try:
        user = create_user(session, username, password, superuser=superuser,
                           display_name=display_name)
    except DomainError as exc:
        # The name was checked above, so what create_user refuses is the password.
        raise FieldError("password", str(exc)) from exc
    user.email = email
    user.department_id = department_id
    user.timezone = zone
    _assign(session, user, roles)
    session.flush()
    return user


def _last_active_superuser(session: Session, user: User) -> bool:
    others = session.scalar(select(func.count(User.id)).where(
        User.is_superuser.is_(True), User.is_active.is_(True), User.id != user.id)) or 0
    return user.is_superuser and others == 0


def update_account(session: Session, user_id: int, *, display_name: str,
                   email: str | None, department_id: int | None, roles: Iterable[str],
                   active: bool, acting_user_id: int | None = None,
                   timezone: str | None | object = ...) -> User:
    """Change a user's profile, department, roles and whether they may sign in.

    ``timezone``: an IANA name, None/"" for the default; left as it is when not given.
    """
    user = get_user(session, user_id)
    display_name, email = _clean_profile(display_name, email)
    if timezone is not ...:
        user.timezone = clean_timezone(timezone)
    _check_department(session, department_id)
    if user.is_active and not active:
        _check_may_disable(session, user, acting_user_id, field="active")
    user.display_name = display_name or user.username
    user.email = email
    user.department_id = department_id
    was_active, user.is_active = user.is_active, active
    _assign(session, user, roles)
    session.flush()
    if was_active and not active:
        revoke_user_sessions(session, user.id)
    return user


def _check_may_disable(session: Session, user: User, acting_user_id: int | None,
                       field: str | None = None) -> None:
    problem = None
    if acting_user_id is not None and user.id == acting_user_id:
        problem = _("You cannot disable your own account.")
    elif _last_active_superuser(session, user):
        problem = _("%(name)s is the last active superuser and cannot be disabled.",
                    name=user.username)
    if problem:
        raise FieldError(field, problem) if field else DomainError(problem)


def disable_account(session: Session, user_id: int, acting_user_id: int | None = None) -> User:
    """Stop the user from signing in and end their sessions (records and history stay)."""
    user = get_user(session, user_id)
    if not user.is_active:
        return user
    _check_may_disable(session, user, acting_user_id)
    user.is_active = False
    session.flush()
    revoke_user_sessions(session, user.id)
    return user


def reset_password(session: Session, user_id: int, password: str) -> User:
    """Give the user a new password chosen by an administrator (policy applies); every
    sign-in of the user ends."""
    user = get_user(session, user_id)
    try:
        set_password(session, user, password)
    except DomainError as exc:
        raise FieldError("password", str(exc)) from exc
    return user
