"""The CRM kernel: app factory, plugins, database, auth, jobs and UI shell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the CRM app (see ``crm_core.app.create_app``)."""
    from .app import create_app as factory

    return factory(config)


__all__ = ["create_app", "__version__"]
