"""``crm plugin new``: scaffold a plugin package."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from . import ScaffoldError, create_plugin


@click.group(name="plugin", help="Make a new plugin package.")
def plugin() -> None:
    pass


@plugin.command("new")
@click.argument("name")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to write crm-NAME/.")
def new(name: str, directory: Path) -> None:
    """Write DIRECTORY/crm-NAME/: a pip-installable plugin with one Resource.

    Then: pip install -e DIRECTORY/crm-NAME && crm db upgrade && crm i18n compile.
    """
    from ..migrate import script_directory

    platform = current_app.extensions["crm"]
    head = script_directory(current_app).get_revision("core@head").revision
    try:
        root = create_plugin(name, directory, head, taken=set(platform.known))
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"Created {root}")
    click.echo(f"Next: pip install -e {root} && crm db upgrade && crm i18n compile")
    click.echo(f"Then open /{name}/items (API: /api/v1/{name}/items).")
