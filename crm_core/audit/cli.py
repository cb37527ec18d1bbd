"""``crm audit ...``."""

from __future__ import annotations

import click


@click.group("audit")
def audit() -> None:
    """Inspect and verify the operation log."""
