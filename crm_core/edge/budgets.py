"""Budgets for pages anyone can reach: a public form, a survey answer.

The API has one budget per caller (``api/limits.py``); a public page needs its own, counted
per visitor address or per e-mail, in the same storage (``CRM_RATELIMIT_STORAGE_URL``, shared
by every process when it is Redis). ``over_budget`` counts one try and says how long to wait
when the budget is spent.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from limits import parse
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)


def over_budget(name: str, key: str, budget: str) -> int | None:
    """Count one try of ``key`` (an address, an e-mail…) against ``budget`` (``"5 per
    minute"``) under ``name`` (``"service.form"``).

    None while the try is within the budget; else the seconds until the window resets (for a
    ``Retry-After``). A failing storage is logged and lets the try through, as the API does.
    """
    item = parse(budget)
    limiter = current_app.extensions["crm_limiter"]
    counter = FixedWindowRateLimiter(limiter.storage)
    scope = f"{limiter.key_prefix}:{name}"
    try:
        if counter.hit(item, scope, key):
            return None
        reset_at, _remaining = counter.get_window_stats(item, scope, key)
    except Exception:  # noqa: BLE001  (any storage failure: count nothing, serve)
        log.exception("The rate limit storage failed; the try goes through.")
        return None
    log.info("budget %s of %s spent for %s", budget, name, key)
    return max(1, int(reset_at - time.time()))
