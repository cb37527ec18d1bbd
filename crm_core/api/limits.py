"""Rate limits on ``/api/`` (Flask-Limiter): one budget per token, else per user, else per IP.

``CRM_API_RATE_LIMIT`` (default ``"600 per minute"``) is the budget; counters live in
``CRM_RATELIMIT_STORAGE_URL`` (default ``crm-memory://``, in process: ``limit_storage``; use
``redis://…`` when several processes serve the app, so they share one count). Over the
budget: 429 problem+json with Retry-After.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_login import current_user
from limits import parse_many

from ..errors import ConfigError
from . import limit_storage  # noqa: F401  (registers crm-memory://)
from .problems import is_api_request
from .security import request_token

DEFAULT_RATE_LIMIT = "600 per minute"
DEFAULT_STORAGE_URL = "crm-memory://"
DEFAULT_KEY_PREFIX = "crm"


def rate_limit_key() -> str:
    """Whose budget a request spends: its token's, its user's, or its address's."""
    token = request_token()
    if token is not None:
        return f"token:{token.prefix}:{token.id}"
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr or 'unknown'}"


def _rate_limit() -> str:
    return str(current_app.config.get("CRM_API_RATE_LIMIT") or DEFAULT_RATE_LIMIT)


def _retry_after_only_on_429(response: Response) -> Response:
    # Flask-Limiter adds Retry-After to every limited response; it means something on 429 only.
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)
    return response


def init_app(app: Flask) -> Limiter:
    """A Limiter for ``app`` counting every ``/api/`` request against one shared budget."""
    configured = str(app.config.get("CRM_API_RATE_LIMIT") or DEFAULT_RATE_LIMIT)
    try:
        parse_many(configured)
    except ValueError:
        raise ConfigError(f"CRM_API_RATE_LIMIT is not a rate limit like '600 per minute': "
                          f"{configured!r}") from None
    app.after_request(_retry_after_only_on_429)  # registered first: runs after the limiter's
    limiter = Limiter(
        rate_limit_key,
        application_limits=[_rate_limit],
        storage_uri=str(app.config.get("CRM_RATELIMIT_STORAGE_URL") or DEFAULT_STORAGE_URL),
        key_prefix=str(app.config.get("CRM_RATELIMIT_KEY_PREFIX") or DEFAULT_KEY_PREFIX),
        headers_enabled=True,
        strategy="fixed-window",
        swallow_errors=True,  # a storage outage logs and lets requests through
    )
    limiter.request_filter(lambda: not is_api_request())
    limiter.init_app(app)
    app.extensions["crm_limiter"] = limiter
    return limiter
