"""Security headers on every answer: pages, API, static files and errors.

Scripts come only from this site (no template has an inline script; htmx runs with
``allowEval: false``); styles allow ``'unsafe-inline'`` because templates and Swagger UI set
``style`` attributes (a progress bar's width, a tag's colour). Images may be ``data:`` URIs
(Swagger UI's icons). No page may be framed unless its view is ``@embeddable``.
"""

from __future__ import annotations

from flask import Flask, Response

from .marks import frame_origins

BASE_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)


def content_security_policy(frame_origins: tuple[str, ...] = ()) -> str:
    """The CSP header value; ``frame_origins`` empty means no site may frame the page."""
    ancestors = " ".join(frame_origins) if frame_origins else "'none'"
    return "; ".join((*BASE_POLICY, f"frame-ancestors {ancestors}"))


def add_security_headers(response: Response) -> Response:
    """after_request: set the security headers (a view's own values are kept)."""
    origins: tuple[str, ...] = ()
    try:
        origins = frame_origins()
    except Exception:  # noqa: BLE001 — never let a header break an answer
        origins = ()
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(origins))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not origins:
        headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Add the security headers to every response of ``app``."""
    app.after_request(add_security_headers)
