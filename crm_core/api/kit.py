"""The REST API kit wiring (filled in by the API work)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install token authentication, problem+json errors and rate limits on ``app``."""
