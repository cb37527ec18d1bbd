"""How large a request may be: its body (413) and its URL (414).

``CRM_MAX_REQUEST_MB`` (default 1) bounds every body; a view decorated with
``upload_limit`` raises it for itself. ``CRM_MAX_URL_LENGTH`` (default 8192 bytes) bounds
the path plus query string. Both are checked before any view runs; the error handlers turn
them into problem+json under ``/api/`` and into a page elsewhere.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request

from ..errors import ConfigError
from .jsonlimits import DEFAULT_MAX_DEPTH as DEFAULT_MAX_JSON_DEPTH
from .marks import MEGABYTE, current_view

DEFAULT_MAX_REQUEST_MB = 1
DEFAULT_MAX_URL_LENGTH = 8192


def _positive(app: Flask, name: str, default: float) -> float:
    value = app.config.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a positive number, not {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be a positive number, not {value!r}")
    return number


def request_limit() -> int | None:
    """The body size (bytes) this request may have: the view's ``upload_limit`` or the app's."""
    declared = getattr(current_view(), "crm_upload_limit", None)
    if declared is None:
        return current_app.config.get("MAX_CONTENT_LENGTH")
    megabytes = declared() if callable(declared) else declared
    return int(float(megabytes) * MEGABYTE)


def check_size() -> None:
    """before_request: 414 for a too-long URL, 413 for a body over this view's limit."""
    url_length = len(request.path.encode()) + len(request.query_string)
    if url_length > current_app.config["CRM_MAX_URL_LENGTH"]:
        abort(414)
    limit = request_limit()
    request.max_content_length = limit
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)


def init_app(app: Flask) -> None:
    """Read and check the size settings; set Flask's ``MAX_CONTENT_LENGTH``."""
    megabytes = _positive(app, "CRM_MAX_REQUEST_MB", DEFAULT_MAX_REQUEST_MB)
    app.config["CRM_MAX_REQUEST_MB"] = megabytes
    app.config["MAX_CONTENT_LENGTH"] = int(megabytes * MEGABYTE)
    app.config["CRM_MAX_URL_LENGTH"] = int(
        _positive(app, "CRM_MAX_URL_LENGTH", DEFAULT_MAX_URL_LENGTH))
    app.config["CRM_MAX_JSON_DEPTH"] = int(
        _positive(app, "CRM_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH))
