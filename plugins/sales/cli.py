"""The ``crm sales`` command group; the feature packages add their commands to it."""

from __future__ import annotations

import click


@click.group(help="Sales: pipelines, orders, contracts, demo data.")
def sales() -> None:
    """The sales commands (``crm sales --help``)."""
