"""Cookie safety: HttpOnly and SameSite=Lax always, Secure whenever the request came over HTTPS.

Flask's and Flask-Login's ``*_COOKIE_SECURE`` settings are fixed per app, but one deployment
may be reached over HTTP on the intranet and over HTTPS from outside; so a small WSGI
middleware marks every cookie ``Secure`` on an HTTPS request instead. Behind a reverse proxy
that ends TLS, ``CRM_PROXY_FIX=true`` applies werkzeug's ProxyFix so ``X-Forwarded-Proto``
(and ``-For``, ``-Host``) are believed — only then, since anyone can send those headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import _as_bool


def _with_secure(cookie: str) -> str:
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    return cookie if "secure" in attributes else cookie + "; Secure"


class SecureCookiesOverHttps:
    """WSGI middleware: add ``Secure`` to every ``Set-Cookie`` of an HTTPS request."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(name, _with_secure(value) if name.lower() == "set-cookie" else value)
                       for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def init_app(app: Flask) -> None:
    """Set the cookie flags, mark cookies Secure over HTTPS, trust a proxy when told to."""
    for prefix in ("SESSION", "REMEMBER"):
        app.config[f"{prefix}_COOKIE_HTTPONLY"] = True
        if not app.config.get(f"{prefix}_COOKIE_SAMESITE"):  # Flask's default is None
            app.config[f"{prefix}_COOKIE_SAMESITE"] = "Lax"
    app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)  # type: ignore[method-assign]
    app.config["CRM_PROXY_FIX"] = _as_bool("CRM_PROXY_FIX", app.config.get("CRM_PROXY_FIX"))
    if app.config["CRM_PROXY_FIX"]:
        # Outermost, so the scheme it restores is what the cookie middleware sees.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1,  # type: ignore[method-assign]
                                x_host=1)
