"""``crm <plugin> import [NAME] FILE`` and ``crm <plugin> export [NAME]`` for every enabled
plugin with import specs (its Resources that offer import, its ``crm_import_specs``), with
no code in the plugin.

The commands join the plugin's own ``crm <plugin>`` group, unless it already has a command
of that name (the plugin's own importer wins); a plugin without a group gets one. ``NAME``
is a Resource's name (``notes``) or the part of a spec id after the plugin (``tag`` for
``customers.tag``), or the whole id; it may be left out when the plugin has one spec. The
import takes the options of ``toolkit.import_command``; both run as an operator (no data
scope), in-process.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask_babel import gettext as _

from ..db import get_session
from .cli import import_command
from .export import spec_rows, write_table
from .service import get_spec, import_specs

__all__ = ["add_import_commands", "plugin_specs"]

logger = logging.getLogger(__name__)
MARK = "crm_plugin_import_cli"  # set on the commands made here (an app made again replaces them)


def plugin_specs(platform: Any) -> dict[str, dict[str, str]]:
    """``{plugin: {name: spec id}}`` of the enabled plugins (not the kernel). Needs an app
    context."""
    from ..plugins import KERNEL_NAME
    from ..resources.importing import resource_import_specs

    named = {spec.id: resource.name for resource, spec in resource_import_specs(platform.pm)}
    found: dict[str, dict[str, str]] = {}
    for spec_id in import_specs():
        plugin, _dot, rest = spec_id.partition(".")
        if plugin == KERNEL_NAME or plugin not in platform.names:
            continue
        found.setdefault(plugin, {}).setdefault(named.get(spec_id, rest), spec_id)
    return found


def _spec_id(plugin: str, names: dict[str, str], name: str | None) -> str:
    """The spec id ``name`` gives (or the only one); a usage error otherwise."""
    if name is None and len(names) == 1:
        return next(iter(names.values()))
    if name in names:
        return names[name]
    if name in names.values():
        return name  # type: ignore[return-value]
    raise click.UsageError(_("Name what to import or export: %(names)s.",
                             names=", ".join(sorted(names))))


def _import(plugin: str, names: dict[str, str]) -> click.Command:
    options = [param for param in import_command(plugin).params if param.name != "file"]

    def run(args: tuple[str, ...], **kwargs: Any) -> None:
        if len(args) > 2:
            raise click.UsageError(_("Give at most a name and a file."))
        name, file = (None, args[0]) if len(args) == 1 else args
        spec_id = _spec_id(plugin, names, name)
        path = click.Path(exists=True, dir_okay=False, path_type=Path).convert(
            file, None, click.get_current_context())
        import_command(spec_id).callback(file=path, **kwargs)  # type: ignore[misc]

    command = click.Command(
        "import", callback=run,
        params=[click.Argument(["args"], nargs=-1, required=True, metavar="[NAME] FILE"),
                *options],
        help=f"Import {plugin} records ({', '.join(sorted(names))}) from a CSV, XLSX or XLS "
             "FILE; NAME may be left out when there is one.")
    setattr(command, MARK, True)
    return command


def _export(plugin: str, names: dict[str, str]) -> click.Command:
    @click.command("export")
    @click.argument("name", required=False)
    @click.option("--output", "-o", "--out", "output", default=None,
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="The file to write (default: <plugin>-<name>.<format> here).")
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
                  help="csv (UTF-8 with a BOM) or xlsx; default: the output's suffix, "
                       "else csv.")
    def command(name: str | None, output: Path | None, fmt: str | None) -> None:
        spec = get_spec(_spec_id(plugin, names, name))
        if fmt is None:
            fmt = "xlsx" if output is not None and output.suffix.lower() == ".xlsx" else "csv"
        if output is None:
            output = Path(f"{spec.id.replace('.', '-')}.{fmt}")
        headers, batches = spec_rows(spec, get_session(), None)
        count = write_table(output, fmt, headers, batches, sheet_title=str(spec.title)[:31],
                            progress=lambda done: click.echo(f"\r{done} rows", err=True,
                                                             nl=False))
        click.echo("", err=True)
        click.echo(_("Exported %(count)d rows to %(path)s", count=count,
                     path=output.resolve()))

    command.help = (f"Export {plugin} records ({', '.join(sorted(names))}) the import "
                    "reads back, to CSV or XLSX.")
    setattr(command, MARK, True)
    return command


def add_import_commands(app: Flask, platform: Any) -> None:
    """Add ``import`` and ``export`` to each enabled plugin with import specs (see the
    module); called after the plugins' own commands are registered."""
    from ..platform import _in_app_context

    try:
        with app.app_context():
            found = plugin_specs(platform)
    except Exception:
        if app.config.get("CRM_STRICT"):
            raise
        # lenient (production): the app still starts; the wizard reports the error
        logger.exception("import specs could not be read: no crm <plugin> import|export")
        app.extensions.pop("crm_import_specs", None)
        return
    for plugin, names in found.items():
        group = app.cli.commands.get(plugin)
        if group is None:
            group = click.Group(plugin, help=f"The {plugin} plugin's imports and exports.")
            app.cli.add_command(_in_app_context(group))
            platform.commands[plugin].append(f"crm {plugin}")
        elif not isinstance(group, click.Group) or f"crm {plugin}" not in \
                platform.commands.get(plugin, []):
            continue  # a command of that name that is not the plugin's group
        for command in (_import(plugin, names), _export(plugin, names)):
            existing = group.commands.get(command.name)  # type: ignore[arg-type]
            if existing is None or getattr(existing, MARK, False):
                group.add_command(_in_app_context(command))
