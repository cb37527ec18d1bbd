"""The tracking hits' short way: answered before the app's request handling.

A pixel or click of a campaign mail is answered by a small WSGI middleware the marketing
plugin puts in front of the app (``crm_startup``) while hits are buffered
(``CRM_MARKETING_TRACKING_BATCH_SECONDS`` > 0, the default): it checks the signed token,
spends the visitor's budget, hands the hit to the buffer (``batching.buffer_of``: a Redis
list when configured, else the worker's memory) and answers the GIF or the redirect. No
session, no user, no database write; a click reads its link's URL once per worker.

Everything else goes on to the app as before: a forged or tampered token, a link number the
campaign does not have, other methods, and every hit while counting per request
(``BATCH_SECONDS`` = 0), so the 404 page and the per-request counting stay in
``public.py``. Answers carry the headers the app would give them (``no-store``, nosniff, no
framing, ``Referrer-Policy: same-origin``). These hits are not in the kernel's request log or
metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm_core.toolkit import LinkExpired, LinkInvalid, over_budget, read_link

from . import batching
from .instrument import CLICK_PURPOSE, OPEN_PURPOSE
from .models import TrackedLink
from .public import BUDGET, DEFAULT_RATE, PIXEL
from .services import valid_ids

log = logging.getLogger(__name__)

__all__ = ["TrackingFastPath", "install"]

PIXEL_PREFIX, CLICK_PREFIX = "/m/o/", "/m/c/"
_LINKS_KEPT = 10_000
HEADERS = (("Cache-Control", "no-store, max-age=0"), ("Pragma", "no-cache"),
           ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
           ("X-Frame-Options", "DENY"),
           ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"))


class TrackingFastPath:
    """WSGI middleware: genuine tracking hits answered here, the rest passed on."""

    def __init__(self, app: Flask, inner: Callable[..., Iterable[bytes]]) -> None:
        self.app, self.inner = app, inner
        self.links: dict[tuple[int, int], tuple[int, str, bool]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if (path.startswith((PIXEL_PREFIX, CLICK_PREFIX))
                and environ.get("REQUEST_METHOD") in ("GET", "HEAD")):
            try:
                response = self._answer(environ, path)
            except Exception:  # noqa: BLE001  (the app's own route answers instead)
                log.exception("the tracking fast path failed; the app answers")
                response = None
            if response is not None:
                return response(environ, start_response)
        return self.inner(environ, start_response)

    def _answer(self, environ: dict[str, Any], path: str) -> Response | None:
        pixel = path.startswith(PIXEL_PREFIX)
        token = path[len(PIXEL_PREFIX):]
        if pixel:
            if not token.endswith(".gif"):
                return None
            token = token[:-4]
        if not token or "/" in token:
            return None
        with self.app.app_context():
            if not batching.batch_seconds():
                return None  # counted per request: the app's route does it
            ids = _ids(OPEN_PURPOSE if pixel else CLICK_PURPOSE, token, 2 if pixel else 3)
            if ids is None:
                return None  # the app answers its 404 page
            if pixel:
                if _counts(self.app, environ):
                    buffer = batching.buffer_of(self.app)
                    if buffer is not None:
                        buffer.add_open(*ids)
                return Response(PIXEL, mimetype="image/gif", headers=HEADERS)
            campaign_id, member_id, number = ids
            link = self._link(campaign_id, number)
            if link is None:
                return None
            if _counts(self.app, environ):
                buffer = batching.buffer_of(self.app)
                if buffer is not None:
                    buffer.add_click(campaign_id, member_id, link[0], link[2])
        response = Response(status=302, headers=HEADERS)
        response.headers["Location"] = link[1]
        return response

    def _link(self, campaign_id: int, number: int) -> tuple[int, str, bool] | None:
        """The campaign's link ``number`` (id, URL, call to action), read once per worker (a
        numbered link's URL never changes)."""
        key = (campaign_id, number)
        found = self.links.get(key)
        if found is None:
            with self.app.extensions["crm_db"].engine.connect() as connection:
                row = connection.execute(
                    select(TrackedLink.id, TrackedLink.url, TrackedLink.is_cta)
                    .where(TrackedLink.campaign_id == campaign_id,
                           TrackedLink.number == number)).first()
            if row is None:
                return None
            if len(self.links) >= _LINKS_KEPT:
                self.links.clear()
            found = self.links[key] = (int(row[0]), str(row[1]), bool(row[2]))
        return found


def _ids(purpose: str, token: str, count: int) -> list[int] | None:
    try:
        return valid_ids(read_link(purpose, token), count)
    except (LinkInvalid, LinkExpired):
        return None


def _client(app: Flask, environ: dict[str, Any]) -> str:
    """The visitor's address, believing ``X-Forwarded-For`` only behind a proxy (as the
    app's ProxyFix with ``CRM_PROXY_FIX``: the last hop)."""
    if app.config.get("CRM_PROXY_FIX"):
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or "unknown"
    return environ.get("REMOTE_ADDR") or "unknown"


def _counts(app: Flask, environ: dict[str, Any]) -> bool:
    """Whether this hit may count: a GET within the visitor's budget."""
    if environ.get("REQUEST_METHOD") != "GET":
        return False
    budget = str(app.config.get("CRM_MARKETING_TRACKING_RATE_LIMIT") or DEFAULT_RATE)
    return over_budget(BUDGET, _client(app, environ), budget) is None


def install(app: Flask) -> None:
    """Put the fast path in front of ``app`` (once)."""
    if not isinstance(app.wsgi_app, TrackingFastPath):
        app.wsgi_app = TrackingFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
