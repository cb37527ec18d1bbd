"""Importing customers from CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) and XLSX: column
mapping, dry run, modes, background job, error report and undo.

``run_import`` streams the file in batches of ``BATCH`` rows: clean (``RowCleaner``), check
keys and write (``BatchWriter``), append bad rows to the error report, commit, report
progress. Rows are written through the session's connection (Core), so the operation log gets
one ``import`` event per batch naming the import and its counts instead of one entry per row:
every imported customer carries ``import_id``, which says the rest.
"""

from __future__ import annotations

import csv
import importlib
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    JobHandle,
    MenuItem,
    TaskSpec,
    db,
    job_files_dir,
    record_event,
    utcnow,
)

from . import bulk
from .events import emit
from .import_files import TableFile, guess_mapping, open_table
from .import_rows import BatchWriter, CleanRow, RowCleaner, SeenKeys, restore_values
from .models import (
    IMPORT_KEYS,
    IMPORT_MODES,
    Customer,
    CustomerImport,
    ImportChange,
    ImportTemplate,
)

__all__ = ["BATCH", "ImportCounts", "create_import", "import_folder", "menu_items",
           "run_import", "save_template", "start_import_job", "undo_import"]

BATCH = 2000
IMPORT_PERMISSION = "customers.customer.import"
TASK = "customers.import_customers"


def menu_items() -> list[MenuItem]:
    """The sidebar entry "Import" (the imports list)."""
    return [MenuItem(id="customers.imports", label=_l("Import"), endpoint="customers.imports",
                     permission=IMPORT_PERMISSION, icon="upload", order=110)]


def celery_tasks() -> list[TaskSpec]:
    """The import job (``customers.import_customers``)."""
    return [TaskSpec("import_customers", import_customers_task, job=True)]


def cli_commands() -> list[Any]:
    """``crm customers import``."""
    return [import_command]


# ---------------------------------------------------------------------------- imports


def import_folder(import_id: int) -> Path:
    """Where an import keeps its uploaded file and reports (under the job files folder)."""
    folder = job_files_dir() / "customers-imports" / str(import_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def create_import(session: Session, source: Path, filename: str, *, user_id: int | None,
                  copy: bool = True, template: dict[str, str] | None = None) -> CustomerImport:
    """Record a new import of ``source`` (moved into the import's folder when ``copy``).

    Reads the header row (ImportFileError for an empty file, one of another kind or one
    without a header) and guesses the mapping. The caller commits.
    """
    with open_table(source, filename) as table:
        headers, encoding = table.headers, table.encoding
    imp = CustomerImport(user_id=user_id, filename=Path(filename).name[:255],
                         stored_path=str(source), encoding=encoding,
                         mapping={"headers": headers,
                                  "fields": guess_mapping(headers, template)})
    session.add(imp)
    session.flush()
    if copy:
        target = import_folder(imp.id) / ("upload" + Path(filename).suffix.lower())
        shutil.move(str(source), target)
        imp.stored_path = str(target)
    return imp


def save_template(session: Session, owner_id: int, name: str, headers: list[str],
                  fields: list[str]) -> ImportTemplate:
    """Save (or replace) the user's mapping template ``name``: header text to field."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise DomainError(_("A template needs a name of at most %(max)d characters.", max=100))
    mapping = {header: field for header, field in zip(headers, fields, strict=False) if header}
    template = session.scalar(select(ImportTemplate).where(
        ImportTemplate.owner_id == owner_id, ImportTemplate.name == name))
    if template is None:
        template = ImportTemplate(owner_id=owner_id, name=name, mapping=mapping)
        session.add(template)
    else:
        template.mapping = mapping
    session.flush()
    return template


def find_template(session: Session, name: str, owner_id: int | None = None
                  ) -> ImportTemplate:
    """The template named ``name`` (the owner's when given); DomainError when none is."""
    query = select(ImportTemplate).where(ImportTemplate.name == name)
    if owner_id is not None:
        query = query.where(ImportTemplate.owner_id == owner_id)
    template = session.scalars(query.order_by(ImportTemplate.id)).first()
    if template is None:
        raise DomainError(_("There is no import template named %(name)s.", name=name))
    return template


def check_settings(fields: list[str], mode: str, key: str | None) -> None:
    """Refuse a mapping without a name column, an unknown mode, or a key not mapped."""
    if "name" not in fields:
        raise DomainError(_("Choose the column that holds the customer name."))
    if mode not in IMPORT_MODES:
        raise DomainError(_("Choose insert, upsert or skip."))
    if key is not None and key not in IMPORT_KEYS:
        raise DomainError(_("Choose code, uscc, phone or email as the key."))
    if mode != "insert" and key is None:
        raise DomainError(_("Upsert and skip need a key: code, uscc, phone or email."))
    if key and (key + "s" if key in ("phone", "email") else key) not in fields:
        raise DomainError(_("The key %(key)s is not one of the mapped columns.", key=key))


def start_import_job(imp: CustomerImport, *, owner_id: int, dry_run: bool,
                     locale: str | None = None) -> Any:
    """Queue the job that checks (``dry_run``) or runs ``imp``; returns the Job.

    ``locale`` (``"zh_CN"``, ``"en"``) is the language of the reasons in its report.
    """
    from crm_core.toolkit import start_job

    from .plugin import N_

    kind = N_("Check customer import") if dry_run else N_("Import customers")
    return start_job(TASK, kind=kind, owner_id=owner_id, import_id=imp.id, dry_run=dry_run,
                     locale=locale)


# ---------------------------------------------------------------------------- running


@dataclass
class ImportCounts:
    """What an import did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    warnings: int = 0
    total: int = 0
    error_report: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` line."""
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped,
                "failed": self.failed, "error_report": self.error_report}


def _batches(table: TableFile, cleaner: RowCleaner, key: str | None
             ) -> Iterator[list[CleanRow]]:
    """Clean rows in batches of at most BATCH; a row sharing its key, code or USCC with an
    earlier row of the batch starts the next one, so the database sees the earlier row."""
    batch: list[CleanRow] = []
    keys: set[tuple[str, str]] = set()
    for row in table.rows():
        clean = cleaner.clean(row)
        mine = {(kind, value) for kind in ("code", "uscc", key) if kind
                for value in [clean.key_value(kind) if kind in ("phone", "email")
                              else clean.values.get(kind)] if value}
        if len(batch) >= BATCH or mine & keys:
            yield batch
            batch, keys = [], set()
        batch.append(clean)
        keys |= mine
    if batch:
        yield batch


class _Reports:
    """The error report (original cells + row + reason, UTF-8 with BOM for Excel) and the
    check list the result page shows (row, level, message)."""

    def __init__(self, folder: Path, headers: list[str]) -> None:
        self.errors_path = folder / "errors.csv"
        self.checks_path = folder / "checks.csv"
        self._errors = open(self.errors_path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._checks = open(self.checks_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.error_writer = csv.writer(self._errors)
        self.error_writer.writerow([*headers, _("Row"), _("Reason")])
        self.check_writer = csv.writer(self._checks)

    def add(self, failed: list[CleanRow], warned: list[CleanRow]) -> None:
        for row in failed:
            reason = "; ".join(row.errors)
            self.error_writer.writerow([*row.row.cells, row.row.number, reason])
            self.check_writer.writerow([row.row.number, "error", reason])
        for row in warned:
            self.check_writer.writerow([row.row.number, "warning", "; ".join(row.warnings)])

    def close(self) -> None:
        self._errors.close()
        self._checks.close()


def _pass(session: Session, imp: CustomerImport, *, dry_run: bool, user_id: int | None,
          progress: Callable[[float, ImportCounts], None]) -> ImportCounts:
    """One pass over the file: check (dry run) or write, batch by batch."""
    folder = import_folder(imp.id)
    counts = ImportCounts()
    seen = SeenKeys(folder / "seen.sqlite") if dry_run else None
    with open_table(imp.stored_path, imp.filename, imp.encoding) as table:
        cleaner = RowCleaner(session, table.headers, imp.mapping["fields"], owner_id=user_id)
        writer = BatchWriter(session, mode=imp.mode, key=imp.key, import_id=imp.id,
                             user_id=user_id, dry_run=dry_run, seen=seen)
        reports = _Reports(folder, table.headers)
        try:
            for batch in _batches(table, cleaner, imp.key):
                if not dry_run:  # again each batch: a commit may hand the connection back
                    bulk.set_loading(session)
                outcome = writer.process(batch)
                reports.add(outcome.failed, outcome.warned)
                counts.total += len(batch)
                counts.created += outcome.would_create if dry_run else len(outcome.created)
                counts.updated += len(outcome.updated)
                counts.skipped += outcome.skipped
                counts.failed += len(outcome.failed)
                counts.warnings += len(outcome.warned)
                if dry_run:
                    session.rollback()
                else:
                    record_event("import", f"Import {imp.id}: batch of {len(batch)} rows",
                                 model=CustomerImport, record_id=imp.id, session=session,
                                 changes={"created": len(outcome.created),
                                          "updated": len(outcome.updated),
                                          "skipped": outcome.skipped,
                                          "failed": len(outcome.failed)})
                    _store_counts(session, imp.id, counts)
                    session.commit()
                progress(table.progress(), counts)
            if not dry_run:
                bulk.set_loading(session, on=False)
        finally:
            reports.close()
            if seen is not None:
                seen.close()
    counts.error_report = str(reports.errors_path) if counts.failed else None
    return counts


def _store_counts(session: Session, import_id: int, counts: ImportCounts) -> None:
    # Through the connection: the import row's progress is bookkeeping, not one log entry a
    # batch (the batch's "import" event carries the counts).
    session.connection().execute(update(CustomerImport.__table__).where(
        CustomerImport.__table__.c.id == import_id).values(
        total=counts.total, created=counts.created, updated=counts.updated,
        skipped=counts.skipped, failed=counts.failed))


def run_import(session: Session, imp: CustomerImport, *, dry_run: bool = False,
               user_id: int | None = None,
               progress: Callable[[float, ImportCounts], None] | None = None) -> ImportCounts:
    """Check (``dry_run``) or run the import ``imp`` with its mapping and settings.

    ``user_id`` is who imports: new customers belong to them (unless an owner column says
    otherwise) and an upsert changes only customers they may see (None: any customer).
    All-or-nothing first checks the whole file and writes nothing when a row is bad.
    Commits per batch; sets the import's status, counts and error report.
    """
    check_settings(imp.mapping["fields"], imp.mode, imp.key)
    report = progress or (lambda _fraction, _counts: None)
    import_id = imp.id
    if dry_run:
        counts = _pass(session, imp, dry_run=True, user_id=user_id, progress=report)
        return _finish(session, import_id, counts, "checked")
    if imp.all_or_nothing:
        checked = _pass(session, imp, dry_run=True, user_id=user_id,
                        progress=lambda fraction, counts: report(fraction / 2, counts))
        if checked.failed:
            return _finish(session, import_id, checked, "failed", created=0, updated=0,
                           skipped=0, message=_nothing_written(checked.failed))
        report = _halves(report)
    session.execute(update(CustomerImport).where(CustomerImport.id == import_id)
                    .values(status="running"))
    session.commit()
    counts = _pass(session, session.get(CustomerImport, import_id), dry_run=False,
                   user_id=user_id, progress=report)
    if counts.created or counts.updated:
        bulk.analyze(session)  # the planner must learn the tables' new sizes
        session.commit()
    classification = importlib.import_module(f"{__package__}.classification")
    if hasattr(classification, "refresh_stats"):
        classification.refresh_stats(session)
    if imp.all_or_nothing and counts.failed:  # a row went bad after the check: take it back
        written = session.get(CustomerImport, import_id)
        written.status = "failed"
        undo_import(session, written, record=False)
        return _finish(session, import_id, counts, "failed", created=0, updated=0,
                       message=_nothing_written(counts.failed))
    return _finish(session, import_id, counts, "done")


def _halves(report: Callable[[float, ImportCounts], None]
            ) -> Callable[[float, ImportCounts], None]:
    return lambda fraction, counts: report(0.5 + fraction / 2, counts)


def _nothing_written(failed: int) -> str:
    return _("All or nothing: %(count)d bad rows, so nothing was imported.", count=failed)


def _finish(session: Session, import_id: int, counts: ImportCounts, status: str,
            message: str = "", **overrides: int) -> ImportCounts:
    for name, value in overrides.items():
        setattr(counts, name, value)
    imp = session.get(CustomerImport, import_id)
    imp.status, imp.total, imp.created, imp.updated = status, counts.total, counts.created, \
        counts.updated
    imp.skipped, imp.failed, imp.error_report = counts.skipped, counts.failed, \
        counts.error_report
    imp.message = message or (_("%(warnings)d rows look like duplicates.",
                                warnings=counts.warnings) if counts.warnings else "")
    imp.finished_at = utcnow()
    session.commit()
    return counts


def undo_import(session: Session, imp: CustomerImport, *, record: bool = True
                ) -> tuple[int, int]:
    """Delete the customers ``imp`` created (with their phones, emails, tags and contacts)
    and put back the values it overwrote; returns ``(deleted, restored)``. Commits.

    Refused for an import that was undone already or has not run.
    """
    if imp.undone_at is not None or imp.status == "undone":
        raise DomainError(_("This import was undone already."))
    if imp.status not in ("done", "failed"):
        raise DomainError(_("Only a finished import can be undone."))
    connection = session.connection()
    restored = 0
    last = None
    table = ImportChange.__table__
    while True:  # newest change first, so a customer changed twice ends as it was
        query = select(table.c.id, table.c.customer_id, table.c.old_values).where(
            table.c.import_id == imp.id)  # plain rows: a million ORM objects would pile up
        if last is not None:
            query = query.where(table.c.id < last)
        changes = connection.execute(query.order_by(table.c.id.desc()).limit(BATCH)).all()
        if not changes:
            break
        for _change_id, customer_id, old_values in changes:
            restore_values(connection, customer_id, old_values)
            emit("customer_updated", session, customer_id=customer_id,
                 changed=sorted("tags" if key == "tag_ids" else key for key in old_values
                                if key not in ("name_key", "pinyin_key")))
        bulk.index_in_search(session, [change.customer_id for change in changes])
        restored += len(changes)
        last = changes[-1].id
    deleted = 0
    while True:
        ids = list(session.scalars(select(Customer.id).where(Customer.import_id == imp.id)
                                   .limit(BATCH)))
        if not ids:
            break
        connection.execute(delete(Customer.__table__).where(Customer.__table__.c.id.in_(ids)))
        bulk.index_in_search(session, ids)
        deleted += len(ids)
    if deleted:
        bulk.analyze(session)
    imp.status, imp.undone_at = "undone", utcnow()
    if record:
        record_event("import_undo", f"Undid import {imp.id}: deleted {deleted} customers, "
                     f"restored {restored}", model=CustomerImport, record_id=imp.id,
                     changes={"deleted": deleted, "restored": restored}, session=session)
    session.commit()
    return deleted, restored


# ---------------------------------------------------------------------------- job and CLI


def import_customers_task(job: JobHandle, import_id: int, dry_run: bool = False,
                          locale: str | None = None) -> str:
    """The background job: check or run import ``import_id`` for the job's owner, writing
    the reasons of bad rows in ``locale`` (the language of the page that started it)."""
    if not locale:
        return _import_job(job, import_id, dry_run)
    with force_locale(locale):
        return _import_job(job, import_id, dry_run)


def _import_job(job: JobHandle, import_id: int, dry_run: bool) -> str:
    session = db.session
    imp = session.get(CustomerImport, import_id)
    if imp is None:
        raise DomainError(f"import {import_id} does not exist")
    if imp.status != "running":  # a message delivered twice: the import ran already
        return f"Import {import_id} is {imp.status}; nothing to do"
    imp.job_id = job.id
    session.commit()

    def progress(fraction: float, counts: ImportCounts) -> None:
        job.progress(fraction * 100, f"{counts.total} rows")

    try:
        counts = run_import(session, imp, dry_run=dry_run, user_id=job.owner_id,
                            progress=progress)
    except Exception as exc:
        session.rollback()
        session.execute(update(CustomerImport).where(CustomerImport.id == import_id)
                        .values(status="failed", message=str(exc)[:1000],
                                finished_at=utcnow()))
        session.commit()
        raise
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
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="End with one line of JSON counts.")
def import_command(file: Path, mode: str, key: str | None, all_or_nothing: bool,
                   template: str | None, dry_run: bool, as_json: bool) -> None:
    """Import customers from a CSV or XLSX FILE (headers in Chinese or English)."""
    try:
        failed = _import_from_cli(file, mode, key, all_or_nothing, template, dry_run, as_json)
    except DomainError as exc:  # a bad file or bad usage: exit 2, as the kernel's commands do
        db.session.rollback()
        click.echo(f"crm: error: {exc}", err=True)
        raise SystemExit(2) from None
    if failed:
        raise SystemExit(1)


def _import_from_cli(file: Path, mode: str, key: str | None, all_or_nothing: bool,
                     template: str | None, dry_run: bool, as_json: bool) -> int:
    session = db.session
    if key is None and mode != "insert":
        key = "code"
    saved = find_template(session, template).mapping if template else None
    imp = create_import(session, file.resolve(), file.name, user_id=None, copy=False,
                        template=saved)
    imp.mode, imp.key, imp.all_or_nothing = mode, key, all_or_nothing
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
    if counts.error_report:
        click.echo(_("Bad rows: %(path)s", path=counts.error_report))
    if as_json:
        sys.stdout.flush()
        click.echo(json.dumps(counts.as_json()))
    return counts.failed


from . import import_views  # noqa: E402,F401 - the wizard's routes go on the shared blueprint
