"""Event campaigns as a part of the marketing plugin: ``blueprints()`` (the public
registration and ticket pages, the staff pages, the API). The panel on the campaign's page
is ``panel.event_panel`` (declared with the campaigns Resource)."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The public pages, the staff pages and the API of event campaigns."""
    from .api import api
    from .public import bp
    from .staff import pages

    return [bp, pages, api]
