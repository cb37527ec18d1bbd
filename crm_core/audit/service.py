"""Recording the operation log.

The audit work fills in the bodies; the signatures are the contract other code relies on.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """Start recording every write of every business model of ``app``."""


def record_event(action: str, message: str = "", *, model: str | None = None,
                 record_id: Any = None, changes: dict[str, Any] | None = None,
                 user: Any = None, session: Any = None) -> None:
    """Append an entry that is not a row change (login, logout, import, export...).

    ``user`` defaults to the signed-in user; ``session`` to the app context's session (the
    entry commits with it).
    """
    raise NotImplementedError("filled in by the operation log work")


def record_history(model: str | type, record_id: Any, limit: int = 50) -> list[Any]:
    """The newest ``limit`` entries about one record (for its page's history panel)."""
    raise NotImplementedError("filled in by the operation log work")
