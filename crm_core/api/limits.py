"""Rate limits on ``/api/``: one budget per token, else per user, else per IP.

``CRM_API_RATE_LIMIT`` (default ``"600 per minute"``) is the budget; counters live in
``CRM_RATELIMIT_STORAGE_URL`` (default ``crm-memory://``, in process: ``limit_storage``; use
``redis://…`` when several processes serve the app, so they share one count). Over the
budget: 429 problem+json with Retry-After. Every API answer carries ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``.

The counting is the ``limits`` library's fixed window, called directly: Flask-Limiter, which
did the same through its decorators, meta limits and exemption scopes (none used here),
spent about 7 % of an API list request's CPU on that machinery (issue 11, throughput).
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from ..errors import ConfigError
from . import limit_storage  # noqa: F401  (registers crm-memory://)
from .problems import is_api_request
from .security import request_token

DEFAULT_RATE_LIMIT = "600 per minute"
DEFAULT_STORAGE_URL = "crm-memory://"
DEFAULT_KEY_PREFIX = "crm"

log = logging.getLogger(__name__)


def rate_limit_key() -> str:
    """Whose budget a request spends: its token's, its user's, or its address's."""
    token = request_token()
    if token is not None:
        return f"token:{token.prefix}:{token.id}"
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr or 'unknown'}"


class ApiRateLimit:
    """The API's budgets, counted in ``storage``; installed by ``init_app``."""

    def __init__(self, budgets: list[RateLimitItem], storage: Storage, key_prefix: str) -> None:
        self.budgets = sorted(budgets)  # the smallest first, as its answer names it
        self.storage = storage
        self.counter = FixedWindowRateLimiter(storage)
        self.key_prefix = key_prefix

    def check(self) -> None:
        """Before an API request: count it; 429 when a budget is spent. A failing storage
        is logged and lets the request through."""
        if not is_api_request() or request.endpoint is None:
            return  # other pages, and addresses that answer 404/405, are not counted
        key = rate_limit_key()
        try:
            for budget in self.budgets:
                if not self.counter.hit(budget, self.key_prefix, key):
                    g.crm_rate_limit = (budget, key)
                    log.info("rate limit %s (%s) exceeded at %s", budget, key,
                             request.endpoint)
                    raise TooManyRequests(description=str(budget))
        except TooManyRequests:
            raise
        except Exception:  # noqa: BLE001  (any storage failure: count nothing, serve)
            log.exception("The rate limit storage failed; the request goes through.")
            return
        g.crm_rate_limit = (self.budgets[0], key)

    def add_headers(self, response: Response) -> Response:
        """After a counted request: its budget, what is left and when the window resets."""
        counted = g.pop("crm_rate_limit", None)
        if counted is None:
            return response
        budget, key = counted
        try:
            reset_at, remaining = self.counter.get_window_stats(budget, self.key_prefix, key)
        except Exception:  # noqa: BLE001
            log.exception("The rate limit storage failed; no rate limit headers.")
            return response
        response.headers["X-RateLimit-Limit"] = str(budget.amount)
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        response.headers["X-RateLimit-Reset"] = str(int(reset_at))
        if response.status_code == 429:
            response.headers["Retry-After"] = str(max(1, int(reset_at - time.time())))
        return response


def init_app(app: Flask) -> ApiRateLimit:
    """Count every ``/api/`` request of ``app`` against one shared budget."""
    configured = str(app.config.get("CRM_API_RATE_LIMIT") or DEFAULT_RATE_LIMIT)
    try:
        budgets = parse_many(configured)
    except ValueError:
        budgets = []
    if not budgets:
        raise ConfigError(f"CRM_API_RATE_LIMIT is not a rate limit like '600 per minute': "
                          f"{configured!r}")
    limiter = ApiRateLimit(
        budgets,
        storage_from_string(str(app.config.get("CRM_RATELIMIT_STORAGE_URL")
                                or DEFAULT_STORAGE_URL)),
        str(app.config.get("CRM_RATELIMIT_KEY_PREFIX") or DEFAULT_KEY_PREFIX))
    app.before_request(limiter.check)
    app.after_request(limiter.add_headers)
    app.extensions["crm_limiter"] = limiter
    return limiter
