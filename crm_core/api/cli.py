"""``crm tokens ...``."""

from __future__ import annotations

import click


@click.group("tokens")
def tokens() -> None:
    """Manage API tokens."""
