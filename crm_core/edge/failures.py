"""The error path: roll back first, never touch the ORM, never a bare or leaky 500.

A failed flush leaves the request's session unusable and every loaded instance (the signed-in
user included) about to expire; reading an attribute then queries a broken session and fails
inside the error handler, which Flask answers with a bare HTML 500. So every handler rolls the
session back first, the 500 page is drawn for an anonymous visitor (no menu, no user name, no
query), and the user's id is read from SQLAlchemy's identity map, never by loading.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g, has_request_context
from sqlalchemy import inspect

log = logging.getLogger("crm_core.errors")

# psycopg refuses NUL before sending the query, with a ValueError (not a DBAPI error).
NUL_MESSAGES = ("NUL (0x00)", "cannot contain NUL", "NUL characters")


def rollback_session() -> None:
    """Roll back the request's session if it has one; drop it if even that fails."""
    if not has_request_context():
        return
    session = g.get("crm_db_session")
    if session is None:
        return
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 — a dead connection: start afresh on next use
        log.warning("rollback failed; the session is discarded", exc_info=True)
        g.pop("crm_db_session", None)
        try:
            session.close()
        except Exception:  # noqa: BLE001
            log.debug("closing the broken session failed too", exc_info=True)


def loaded_user_id() -> int | None:
    """The id of the user Flask-Login already loaded for this request, without a query."""
    if not has_request_context():
        return None
    if "crm_user_id" in g:
        return g.crm_user_id  # type: ignore[no-any-return]
    user = g.get("_login_user")
    if user is None:
        return None
    state = inspect(user, raiseerr=False)
    if state is None:  # the anonymous user, or a test double
        return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    identity = state.identity
    return identity[0] if identity else None


def forget_user() -> None:
    """Draw the rest of this answer as for an anonymous visitor (no ORM access)."""
    from ..auth.views import login_manager

    g.crm_user_id = loaded_user_id()
    g._login_user = login_manager.anonymous_user()


def is_nul_error(error: BaseException) -> bool:
    """Whether ``error`` is the database driver refusing a value before sending it: psycopg's
    NUL, a lone surrogate, or sqlite3's integer past 64 bits."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, UnicodeEncodeError) and "surrogates not allowed" in str(seen):
            return True
        if isinstance(seen, OverflowError) and "SQLite INTEGER" in str(seen):
            return True
        if isinstance(seen, ValueError) and any(text in str(seen) for text in NUL_MESSAGES):
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
        if seen is error:
            break
    return False


def describe(error: BaseException) -> dict[str, Any]:
    """Fields of the one log line of a failed request (no values of the request)."""
    return {"error_type": f"{type(error).__module__}.{type(error).__qualname__}"}
