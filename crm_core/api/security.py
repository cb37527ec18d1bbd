"""Who an API request is: a bearer token, else the browser's session; and CSRF for the latter.

``Authorization: Bearer crm_…`` on an ``/api/`` path signs the request in as the token's user
through Flask-Login's ``request_loader``; an unknown or revoked token answers 401 even when a
session cookie is present. Such requests carry no cookies an attacker's page could ride on,
so they skip CSRF; every other write (forms, same-origin ``fetch`` with the session cookie)
must carry the CSRF token, in the form or in the ``X-CSRFToken`` header. A write to a guarded
``/api/`` route with neither a token nor a signed-in session answers 401 (sign in first),
not a 400 about a missing CSRF token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import gettext
from flask_login import LoginManager, current_user

from ..auth.models import User
from ..auth.permissions import route_permission
from ..db import get_session, utcnow
from . import token_cache as token_cache_module
from .models import ApiToken
from .problems import is_api_request, problem
from .token_cache import token_cache
from .tokens import TOKEN_PREFIX, find_active_token, hash_token, needs_touch, record_use

_MISSING = object()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def bearer_text() -> str | None:
    """The token text of an ``Authorization: Bearer`` header on an API path, else None."""
    if not is_api_request():
        return None
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def request_token() -> ApiToken | None:
    """The valid token of the current request (looked up once per request), or None."""
    cached = g.get("crm_api_token", _MISSING)
    if cached is not _MISSING:
        return cached  # type: ignore[return-value]
    text = bearer_text()
    token, user = _signed_in_token(text) if text else (None, None)
    g.crm_api_token, g.crm_api_user = token, user
    return token


def _signed_in_token(plain: str) -> tuple[ApiToken | None, User | None]:
    """``find_active_token`` and the token's user, through the worker's token cache when it
    is on: a token seen a moment ago signs in without a statement (``token_cache``; the
    token may then be the cache's shared copy, to read only). Notes the token's use at most
    once a minute either way."""
    session = get_session()
    cache = token_cache()
    if cache is None or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        token = find_active_token(session, plain)
        if token is not None and needs_touch(token):
            _touch(token)
        return token, getattr(token, "user_row", None)
    digest = hash_token(plain)
    entry = cache.get(digest)
    if entry is None:
        generation = cache.generation
        token = find_active_token(session, plain)
        if token is None:  # unknown and revoked tokens are not kept: each is read again
            return None, None
        user = token.user_row
        entry = cache.entry_for(token, user)
        cache.put(digest, entry, generation)
    else:
        token, user = cache.restore(session, entry)
    if needs_touch(token):
        cache.noted(entry, _touch(token))  # the entry's copy: not again for a minute
    return token, user


def _touch(token: ApiToken) -> dt.datetime:
    # Its own short transaction: the request's session must not commit half its work.
    now = utcnow()
    with current_app.extensions["crm_db"].engine.begin() as connection:
        record_use(connection, token.id, now)
    return now


def load_user_from_request(_request: Any) -> User | None:
    """Flask-Login's request loader: the active user of a valid bearer token."""
    token = request_token()
    if token is None:
        return None
    user = g.get("crm_api_user")  # loaded with the token (find_active_token), or cached
    return user if user is not None else get_session().get(User, token.user_id)


def check_request() -> Any:
    """Before each request: refuse a bad bearer token (401), then check CSRF on writes."""
    if bearer_text() is not None:
        if request_token() is None:
            return problem(401, gettext("The API token is unknown or has been revoked."),
                           headers={"WWW-Authenticate": 'Bearer realm="crm", '
                                                        'error="invalid_token"'})
        user = current_user._get_current_object()
        if user.is_authenticated and user.id != g.crm_api_token.user_id:
            # A session cookie of someone else rode along; refuse rather than guess.
            return problem(401, gettext("Send either an API token or a session cookie, "
                                        "not both for different users."))
        return None  # a bearer request carries no cookie to forge: no CSRF check
    if is_api_request() and request.url_rule is None:
        return None  # no such route (404) or method (405): nothing to protect
    if _anonymous_api_write():
        return problem(401, gettext("Sign in, or send a valid API token as "
                                    "'Authorization: Bearer …'."),
                       headers={"WWW-Authenticate": 'Bearer realm="crm"'})
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        current_app.extensions["csrf"].protect(apply_exemptions=True)
    return None


def _anonymous_api_write() -> bool:
    """A write to a guarded API route by nobody: no token, no signed-in session."""
    if not is_api_request() or request.method in SAFE_METHODS or request.url_rule is None:
        return False
    if route_permission(current_app, request.endpoint or "") == "public":
        return False
    return not current_user.is_authenticated


def init_app(app: Flask, login_manager: LoginManager) -> None:
    """Install bearer authentication and the CSRF check (instead of Flask-WTF's default)."""
    login_manager.request_loader(load_user_from_request)
    token_cache_module.init_app(app, app.extensions["crm_db"].engine)
    # Flask-WTF would check every POST, bearer ones too; check_request decides instead.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(check_request)
