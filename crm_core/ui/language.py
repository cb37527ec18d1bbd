"""The language switch: English or 简体中文, kept on the user (or in a cookie when signed out)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from ..auth.models import User
from ..auth.permissions import public
from ..db import get_session
from ..edge.paths import same_site_path
from ..i18n import LANG_COOKIE, normalize_locale

COOKIE_MAX_AGE = 365 * 24 * 3600


def set_user_locale(session: Session, user_id: int, locale: str) -> None:
    """Remember ``locale`` (``en`` or ``zh_CN``) as the user's language."""
    user = session.get(User, user_id)
    if user is not None:
        user.locale = locale
        session.flush()


def safe_target(target: str | None) -> str:
    """A same-site path to go back to: ``target`` when it stays on this site, else home.

    Accepts a path (``/example/notes?x=1``) or an absolute URL of this host (a Referer);
    anything pointing elsewhere (``//evil``, ``https://evil/``, ``javascript:``) goes home.
    """
    home = url_for("core_ui.home")
    if not target:
        return home
    parts = urlsplit(target)
    foreign = parts.scheme not in ("http", "https") or parts.netloc != request.host
    if (parts.scheme or parts.netloc) and foreign:
        return home
    return same_site_path(parts.path + (f"?{parts.query}" if parts.query else "")) or home


@public
def switch_language():  # type: ignore[no-untyped-def]
    """``POST /language`` with ``locale``: show the UI in that language from now on.

    Signed in, the choice is stored on the user and follows them to every device; signed out
    (on the sign-in page) it is kept in the ``crm_lang`` cookie. Either way the browser goes
    back to the page it came from (``next``, else the Referer), never to another site.
    """
    locale = normalize_locale(request.form.get("locale"))
    if locale is None:
        abort(400)
    if current_user.is_authenticated:
        session = get_session()
        set_user_locale(session, current_user.id, locale)
        session.commit()
    response = redirect(safe_target(request.form.get("next") or request.referrer))
    response.set_cookie(LANG_COOKIE, locale, max_age=COOKIE_MAX_AGE, httponly=True,
                        samesite="Lax", secure=request.is_secure)
    return response
