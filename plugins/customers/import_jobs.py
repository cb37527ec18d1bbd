"""The import's background job (read the header, check, run, undo) and its command line.

Every step that opens the uploaded file runs here, in a worker, never in a web request. A
failure the user can act on (a bad file, a limit) becomes the import's message; anything else
is logged with the import's id and the user reads a message that says only that, never a
database error or its parameters.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update

from crm_core.toolkit import DomainError, JobHandle, db, start_job, utcnow

from .import_run import ImportCounts, run_import
from .import_settings import (
    check_settings,
    create_import,
    find_template,
    read_header,
    template_mapping,
)
from .import_undo import undo_import
from .models import IMPORT_KEYS, IMPORT_MODES, CustomerImport

__all__ = ["TASK", "import_command", "import_customers_task", "start_import_job"]

TASK = "customers.import_customers"
log = logging.getLogger(__name__)
# The status each step runs in (a message delivered twice finds another one and stops).
_RUNNING = {"read": "reading", "check": "running", "run": "running", "undo": "undoing"}


def start_import_job(imp: CustomerImport, *, owner_id: int, dry_run: bool = False,
                     locale: str | None = None, step: str = "", template_id: int | None = None
                     ) -> Any:
    """Queue the job that reads the header of (``step="read"``), checks (``dry_run``), runs
    or undoes (``step="undo"``) ``imp``; returns the Job.

    ``locale`` (``"zh_CN"``, ``"en"``) is the language of the reasons in its report.
    """
    from .plugin import N_

    step = step or ("check" if dry_run else "run")
    kinds = {"read": N_("Read customer import"), "check": N_("Check customer import"),
             "run": N_("Import customers"), "undo": N_("Undo customer import")}
    return start_job(TASK, kind=kinds[step], owner_id=owner_id, import_id=imp.id,
                     dry_run=dry_run, locale=locale, step=step, template_id=template_id)


def import_customers_task(job: JobHandle, import_id: int, dry_run: bool = False,
                          locale: str | None = None, step: str = "",
                          template_id: int | None = None) -> str:
    """The background job: one ``step`` of import ``import_id`` for the job's owner, writing
    messages in ``locale`` (the language of the page that started it)."""
    step = step or ("check" if dry_run else "run")
    if not locale:
        return _import_job(job, import_id, step, template_id)
    with force_locale(locale):
        return _import_job(job, import_id, step, template_id)


def _import_job(job: JobHandle, import_id: int, step: str, template_id: int | None) -> str:
    session = db.session
    imp = session.get(CustomerImport, import_id)
    if imp is None:
        raise DomainError(f"import {import_id} does not exist")
    if imp.status != _RUNNING[step]:  # a message delivered twice: the step ran already
        return f"Import {import_id} is {imp.status}; nothing to do"
    imp.job_id = job.id
    session.commit()
    try:
        return _step(job, session, imp, step, template_id)
    except DomainError as exc:
        _failed(session, import_id, step, str(exc))
        raise
    except Exception:
        log.exception("customers import %s failed in step %s", import_id, step,
                      extra={"import_id": import_id, "job_id": job.id})
        _failed(session, import_id, step, _(
            "The import stopped because of an unexpected error. An administrator can find "
            "import %(id)d in the log.", id=import_id))
        raise


def _failed(session: Any, import_id: int, step: str, message: str) -> None:
    session.rollback()
    # An undo that fails leaves the import as it was (done), with the reason.
    values: dict[str, Any] = {"status": "done", "message": message[:1000]}
    if step != "undo":
        values.update(status="failed", finished_at=utcnow())
    session.execute(update(CustomerImport).where(CustomerImport.id == import_id)
                    .values(**values))
    session.commit()


def _step(job: JobHandle, session: Any, imp: CustomerImport, step: str,
          template_id: int | None) -> str:
    if step == "read":
        template_id = template_id or imp.mapping.get("template_id")
        read_header(session, imp, template_mapping(session, template_id, imp.user_id))
        session.commit()
        return f"{len(imp.mapping['headers'])} columns"
    if step == "undo":
        result = undo_import(session, imp, user=job.owner_id,
                             progress=lambda fraction: job.progress(fraction * 100, ""))
        return (f"{result.trashed} moved to the trash, {result.restored} restored, "
                f"{result.skipped} left alone")

    def progress(fraction: float, counts: ImportCounts) -> None:
        job.progress(fraction * 100, f"{counts.total} rows")

    counts = run_import(session, imp, dry_run=step == "check", user_id=job.owner_id,
                        progress=progress)
    if counts.error_report:
        job.result_file(counts.error_report)
    return (f"{counts.total} rows: {counts.created} created, {counts.updated} updated, "
            f"{counts.skipped} skipped, {counts.failed} failed")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(IMPORT_MODES), default="insert", show_default=True,
              help="insert: a row whose key exists fails; upsert: update it; skip: skip it.")
@click.option("--key", type=click.Choice(IMPORT_KEYS), default=None,
              help="The field that says a row is an existing customer (default for upsert "
                   "and skip: code).")
@click.option("--all-or-nothing", is_flag=True, help="Write nothing when any row is bad.")
@click.option("--mapping", "template", default=None, metavar="TEMPLATE_NAME",
              help="Map the columns with this saved import template.")
@click.option("--no-create-missing", is_flag=True,
              help="A customer type or tag that does not exist makes the row bad (default: "
                   "it is created).")
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="End with one line of JSON counts.")
def import_command(file: Path, mode: str, key: str | None, all_or_nothing: bool,
                   template: str | None, no_create_missing: bool, dry_run: bool,
                   as_json: bool) -> None:
    """Import customers from a CSV or XLSX FILE (headers in Chinese or English)."""
    try:
        failed = _import_from_cli(file, mode, key, all_or_nothing, template, dry_run, as_json,
                                  not no_create_missing)
    except DomainError as exc:  # a bad file or bad usage: exit 2, as the kernel's commands do
        db.session.rollback()
        click.echo(f"crm: error: {exc}", err=True)
        raise SystemExit(2) from None
    if failed:
        raise SystemExit(1)


def _import_from_cli(file: Path, mode: str, key: str | None, all_or_nothing: bool,
                     template: str | None, dry_run: bool, as_json: bool,
                     create_missing: bool = True) -> int:
    session = db.session
    if key is None and mode != "insert":
        key = "code"
    saved = find_template(session, template).mapping if template else None
    imp = create_import(session, file.resolve(), file.name, user_id=None, copy=False,
                        template=saved)
    imp.mode, imp.key, imp.all_or_nothing = mode, key, all_or_nothing
    imp.mapping = {**imp.mapping, "create_missing": create_missing}
    try:
        check_settings(imp.mapping["fields"], mode, key)
    except DomainError as exc:
        mapped = ", ".join(f"{header} -> {field}" for header, field
                           in zip(imp.mapping["headers"], imp.mapping["fields"], strict=False)
                           if field)
        raise DomainError(f"{exc} ({_('Columns mapped')}: {mapped or '-'})") from None
    session.commit()

    def progress(fraction: float, counts: ImportCounts) -> None:
        click.echo(f"\r{fraction:6.1%}  {counts.total} rows, {counts.failed} failed",
                   err=True, nl=False)

    counts = run_import(session, imp, dry_run=dry_run, progress=progress)
    click.echo("", err=True)
    verb = _("would be created") if dry_run else _("created")
    click.echo(f"{counts.total} rows: {counts.created} {verb}, {counts.updated} updated, "
               f"{counts.skipped} skipped, {counts.failed} failed")
    for kind, new in counts.new_values.items():
        names = ", ".join(new["names"]) + (", …" if new["count"] > len(new["names"]) else "")
        click.echo(_("%(count)d new tags will be created: %(names)s", count=new["count"],
                     names=names) if kind == "tags" else
                   _("%(count)d new customer types will be created: %(names)s",
                     count=new["count"], names=names))
    if counts.error_report:
        click.echo(_("Bad rows: %(path)s", path=counts.error_report))
    if as_json:
        sys.stdout.flush()
        click.echo(json.dumps(counts.as_json()))
    return counts.failed
