"""The ``crm customers`` command group; its commands come from the plugin's parts."""

from __future__ import annotations

import click


@click.group("customers")
def customers() -> None:
    """Import, export and look after customers."""
