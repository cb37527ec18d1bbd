"""``crm plugins list | enable | disable``: inspect plugins and choose the enabled set.

``enable`` and ``disable`` write ``plugins = [...]`` in ``instance/crm.toml`` (see
``plugin_policy``); ``enable`` then migrates the new set. Problems end in one line on stderr
and exit code 2, naming the plugins in the way.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask import Flask

from . import plugin_policy
from .errors import CrmError
from .plugins import discover

EXIT_USAGE = 2
HEADERS = ["name", "version", "state", "source", "requires", "models", "routes",
           "permissions", "menu_items", "widgets", "tasks", "title"]


def _fail(message: str) -> None:
    click.echo(f"crm: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.group("plugins")
def plugins_group() -> None:
    """Inspect plugins and choose which are enabled."""


def plugin_rows(app: Flask | None) -> list[dict[str, Any]]:
    """One dict per known plugin with the keys ``crm plugins list --json`` prints."""
    platform = app.extensions["crm"] if app is not None else None
    known = platform.known if platform else discover()
    return plugin_policy.plugin_rows(platform, known)


@plugins_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def plugins_list(as_json: bool) -> None:
    """List every known plugin: enabled, disabled or broken, and what it registered."""
    from .app import create_app

    problem = None
    try:
        app: Flask | None = create_app()
    except CrmError as exc:
        app, problem = None, str(exc)
    rows = plugin_rows(app)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
    else:
        table = [[_cell(row[h]) for h in HEADERS] for row in rows]
        widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h)
                  for i, h in enumerate(HEADERS)]
        click.echo("  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=False)).rstrip())
        for line in table:
            click.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)).rstrip())
        for row in rows:
            if row["error"]:
                click.echo(f"{row['name']}: broken: {row['error']}")
    if problem:
        _fail(problem)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(value) or "-"
    return "-" if value is None else str(value)


def _apply(change: plugin_policy.Change, verb: str) -> None:
    for message in change.messages:
        click.echo(message)
    if not change.changed:
        return
    path = plugin_policy.write_configured(change.names)
    click.echo(f"{verb}; {path.name} now enables: " + (", ".join(change.names) or "(none)"))
    if plugin_policy.environment_overrides():
        click.echo("Warning: CRM_PLUGINS is set in the environment and wins over crm.toml; "
                   "unset it for this change to take effect.", err=True)


@plugins_group.command("enable")
@click.argument("names", nargs=-1, required=True)
@click.option("--no-migrate", is_flag=True, help="Only write crm.toml; skip 'crm db upgrade'.")
def plugins_enable(names: tuple[str, ...], no_migrate: bool) -> None:
    """Enable plugins NAMES (and what they require) in crm.toml, then migrate the database."""
    from .app import create_app
    from .migrate import upgrade

    try:
        known = discover()
        change = plugin_policy.plan_enable(known, plugin_policy.configured(known), list(names))
        _apply(change, "Enabled " + ", ".join(change.added or names))
        if change.changed and not no_migrate:
            app = create_app({"CRM_PLUGINS": change.names})
            with app.app_context():
                branches = upgrade(app)
            click.echo("Database is up to date: " + ", ".join(branches))
    except CrmError as exc:
        _fail(str(exc))
    if change.changed:
        click.echo("Restart the web and worker processes for the change to take effect.")


@plugins_group.command("disable")
@click.argument("names", nargs=-1, required=True)
def plugins_disable(names: tuple[str, ...]) -> None:
    """Disable plugins NAMES in crm.toml. Their tables and data are kept."""
    try:
        known = discover()
        change = plugin_policy.plan_disable(known, plugin_policy.configured(known), list(names))
    except CrmError as exc:
        _fail(str(exc))
    _apply(change, "Disabled " + ", ".join(names))
    if change.changed:
        click.echo("Their tables and data are kept; enabling them again brings them back. "
                   "Restart the web and worker processes for the change to take effect.")
