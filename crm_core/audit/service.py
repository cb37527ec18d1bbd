"""Recording the operation log (filled in by the audit work)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Start recording every write of every business model of ``app``."""
