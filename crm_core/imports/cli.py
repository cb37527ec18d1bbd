"""``crm <plugin> import`` and ``crm <plugin> export`` for any spec: commands a plugin adds
to its own command group (``toolkit.import_command(spec_id)``, ``toolkit.export_command``).

They run in-process (no worker), as an operator: no data scope, no upload limit, the same
reading limits. Exit code 0 when every row was fine, 1 when rows failed, 2 for a bad file or
bad usage (``crm: error: …`` on stderr).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import click
from flask_babel import gettext as _

from ..db import get_session
from ..errors import DomainError
from ..tabular import TabularError
from .export import write_table
from .files import ERRORS, import_folder
from .models import TabularImport
from .run import ImportCounts, run_import
from .service import check_settings, create_import, find_template, get_spec
from .spec import MODES, ImportSpec

__all__ = ["export_command", "import_command"]


def import_command(spec_id: str, name: str = "import") -> click.Command:
    """A click command importing a CSV, XLSX or XLS file into the records of ``spec_id``."""

    @click.command(name)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--mode", type=click.Choice(MODES), default="insert", show_default=True,
                  help="insert: a row whose key exists fails; upsert: update it; skip: skip it.")
    @click.option("--key", default=None, help="The field that finds an existing record.")
    @click.option("--all-or-nothing", is_flag=True, help="Write nothing when any row is bad.")
    @click.option("--create-missing/--no-create-missing", default=True, show_default=True,
                  help="Create the related values (types, tags) the file names that do not "
                       "exist; with --no-create-missing such a row is bad.")
    @click.option("--mapping", "template", default=None, metavar="TEMPLATE_NAME",
                  help="Map the columns with this saved import template.")
    @click.option("--sheet", default="", metavar="NAME",
                  help="The workbook's sheet to read (default: the first holding a cell).")
    @click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
    @click.option("--json", "as_json", is_flag=True, help="End with one line of JSON counts.")
    def command(file: Path, mode: str, key: str | None, all_or_nothing: bool,
                create_missing: bool, template: str | None, sheet: str, dry_run: bool,
                as_json: bool) -> None:
        session = get_session()
        try:
            spec = get_spec(spec_id)
            if key is None and mode != "insert" and spec.keys:
                key = spec.keys[0]
            saved = find_template(session, spec, template).mapping if template else None
            imp = create_import(session, spec, file.resolve(), user_id=None, template=saved,
                                sheet=sheet)
            imp.mode, imp.key, imp.all_or_nothing = mode, key, all_or_nothing
            imp.create_missing = create_missing
            _check(spec, imp.mapping, mode, key)
            session.commit()
            counts = run_import(session, spec, imp, dry_run=dry_run, progress=_progress)
        except (DomainError, TabularError) as exc:
            session.rollback()
            click.echo(f"crm: error: {exc}", err=True)
            raise SystemExit(2) from None
        click.echo("", err=True)
        report = import_folder(imp.id) / ERRORS if counts.failed else None
        verb = _("would be created") if dry_run else _("created")
        click.echo(f"{counts.total} rows: {counts.created} {verb}, {counts.updated} updated, "
                   f"{counts.skipped} skipped, {counts.failed} failed")
        if dry_run:
            _echo_new_values(spec, session.get(TabularImport, imp.id).new_values or {})
        if report is not None:
            click.echo(_("Bad rows: %(path)s", path=report))
        if as_json:
            sys.stdout.flush()
            click.echo(json.dumps({**counts.as_json(), "error_report":
                                   str(report) if report else None}))
        if counts.failed:
            raise SystemExit(1)

    command.help = f"Import {spec_id} records from a CSV, XLSX or XLS FILE."
    return command


def _check(spec: ImportSpec, mapping: dict[str, Any], mode: str, key: str | None) -> None:
    """``check_settings``, its message naming the columns the command mapped."""
    try:
        check_settings(spec, mapping["fields"], mode, key)
    except DomainError as exc:
        mapped = ", ".join(f"{header} -> {name}" for header, name
                           in zip(mapping["headers"], mapping["fields"], strict=False) if name)
        raise DomainError(f"{exc} ({_('Columns mapped')}: {mapped or '-'})") from None


def _echo_new_values(spec: ImportSpec, new_values: dict[str, Any]) -> None:
    """The related values a check found missing, which the import would create."""
    for name, new in new_values.items():
        item = spec.field(name)
        noun = (item.relation.noun or item.label) if item and item.relation else name
        names = ", ".join(new["names"]) + (", …" if new["count"] > len(new["names"]) else "")
        click.echo(_("%(count)d new %(field)s will be created: %(names)s",
                     count=new["count"], field=str(noun), names=names))


def _progress(fraction: float, counts: ImportCounts) -> None:
    click.echo(f"\r{fraction:6.1%}  {counts.total} rows, {counts.failed} failed", err=True,
               nl=False)


def export_command(rows: Callable[[Any], tuple[Sequence[str], Iterable[Sequence[Sequence[str]]]]],
                   name: str = "export") -> click.Command:
    """A click command writing ``rows(session)`` — ``(headers, batches of rows of text)`` —
    to a CSV (UTF-8 with a BOM) or XLSX file, formulas neutralised, in constant memory."""

    @click.command(name)
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
    def command(fmt: str, out: Path) -> None:
        headers, batches = rows(get_session())
        count = write_table(out, fmt, headers, batches,
                            progress=lambda done: click.echo(f"\r{done} rows", err=True,
                                                             nl=False))
        click.echo("", err=True)
        click.echo(f"Exported {count} rows to {out.resolve()}")

    return command
