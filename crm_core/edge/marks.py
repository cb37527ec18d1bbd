"""Per-view declarations the edge reads: a larger upload limit, and being embeddable.

Put them under the route decorator (``@bp.route(...)`` then ``@upload_limit(...)``); both only
set an attribute on the view, which ``functools.wraps`` carries through other decorators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request

MEGABYTE = 1024 * 1024
Size = float | Callable[[], float]


def upload_limit(megabytes: Size) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let this view receive a body of up to ``megabytes`` (instead of ``CRM_MAX_REQUEST_MB``).

    ``megabytes`` is a number, or a function called in the request that returns one (to read
    a setting: ``upload_limit(lambda: plugin_config("customers", "import_max_mb", 20))``).
    A larger body answers 413.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        view.crm_upload_limit = megabytes  # type: ignore[attr-defined]
        return view
    return decorate


Origins = tuple[str, ...] | Callable[[], tuple[str, ...]]


def embeddable(view: Callable[..., Any] | None = None, *, origins: Origins = ("*",)) -> Any:
    """Allow this view's page inside a frame of another site (``origins``; default: any).

    Without it every answer carries ``X-Frame-Options: DENY`` and CSP
    ``frame-ancestors 'none'``. Use bare (``@embeddable``), with origins
    (``@embeddable(origins=("https://shop.example.com",))``), or with a function called
    in the request that returns them (a setting per record: a company's form); it may
    return ``()``, and then no site may frame that answer.
    """

    def decorate(inner: Callable[..., Any]) -> Callable[..., Any]:
        inner.crm_embeddable = origins if callable(origins) \
            else tuple(origins)  # type: ignore[attr-defined]
        return inner
    return decorate(view) if view is not None else decorate


def frame_origins() -> tuple[str, ...]:
    """The sites that may frame the current answer (``@embeddable``), or ``()``."""
    origins = getattr(current_view(), "crm_embeddable", ()) or ()
    return tuple(origins() if callable(origins) else origins)


def current_view() -> Callable[..., Any] | None:
    """The view function the current request was routed to, or None."""
    if request.url_rule is None or request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)
