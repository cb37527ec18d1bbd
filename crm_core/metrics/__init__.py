"""Prometheus metrics at ``/metrics`` (docs/OPERATIONS.md, "Metrics").

Request latency per endpoint is measured in every process (gunicorn's workers write to
``PROMETHEUS_MULTIPROC_DIR``, which ``crm serve`` sets, and a scrape adds them up); the
queue, outbox, sign-in and backup figures are read from the shared stores when scraped, so
every web process answers the same.
"""

from __future__ import annotations

import time

from flask import Flask, g, request

from .instruments import REQUEST_SECONDS


def _started() -> None:
    g.crm_request_started = time.perf_counter()


def _observed(response):  # type: ignore[no-untyped-def]
    started = getattr(g, "crm_request_started", None)
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        REQUEST_SECONDS.labels(endpoint=endpoint, method=request.method,
                               status=f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Time every request (before the edge's checks, so refused requests count too)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_observed)
