"""JSON request logs with a request id (filled in by the logging work)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Log one JSON line per request and keep or make ``X-Request-ID``."""
