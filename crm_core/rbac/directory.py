"""Users and departments kept in step with an outside directory (an OA's org structure).

``toolkit.sync_department`` and ``toolkit.sync_user`` create or update one row each. A user
made here has no usable password (they sign in through the directory's sign-in, or an
administrator sets one), no roles and is never a superuser; updating never touches roles or
the password. Disabling follows the admin pages' rule: the last active superuser stays.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from ..auth.models import User
from ..auth.passwords import hash_password
from ..auth.sessions import revoke_user_sessions
from .departments import create_department, get_department, update_department
from .models import Department
from .users import _check_department, _check_may_disable, _clean_profile, get_user


def sync_department(session: Session, department_id: int | None, *, name: str,
                    parent_id: int | None) -> Department:
    """Create the department (``department_id`` None) or rename and move it; returns it.

    Raises ``FieldError`` like the admin pages (a bad name, a name taken among the new
    siblings, a move under itself)."""
    if department_id is None:
        return create_department(session, name, parent_id)
    department = get_department(session, department_id)
    if department.name == name and department.parent_id == parent_id:
        return department
    return update_department(session, department_id, name, parent_id)


def sync_user(session: Session, user_id: int | None, *, username: str = "",
              display_name: str = "", email: str | None = None,
              department_id: int | None = None, active: bool = True) -> User:
    """Create a user (``user_id`` None: with ``username``, no password, no roles) or update
    the profile, department and active flag of ``user_id``; returns the user.

    An e-mail address that is not one is dropped rather than refused. Disabling ends the
    user's sessions; the last active superuser is never disabled (``DomainError``).
    """
    try:
        display_name, email = _clean_profile(display_name, email)
    except Exception:  # noqa: BLE001 - a directory's bad address must not stop the sync
        display_name, email = _clean_profile(display_name, None)
    _check_department(session, department_id)
    if user_id is None:
        user = User(username=username.strip()[:80],
                    password_hash=hash_password(secrets.token_urlsafe(32)),
                    display_name=display_name or username, is_superuser=False)
        session.add(user)
    else:
        user = get_user(session, user_id)
        if user.is_active and not active:
            _check_may_disable(session, user, None)
    was_active = user.is_active if user_id is not None else True
    user.display_name = display_name or user.username
    user.email = email
    user.department_id = department_id
    user.is_active = active
    session.flush()
    if was_active and not active:
        revoke_user_sessions(session, user.id)
    return user
