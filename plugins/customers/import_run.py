"""Running an import: the file streamed in batches, checked (dry run) or written.

``run_import`` streams the file in batches of ``BATCH`` rows: clean (``RowCleaner``), check
keys and write (``BatchWriter``), append bad rows to the error report, commit, report
progress. Rows are written through the session's connection (Core), so the operation log gets
one ``import`` event per batch naming the import and its counts instead of one entry per row:
every imported customer carries ``import_id``, which says the rest.
"""

from __future__ import annotations

import csv
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import record_event, utcnow

from . import bulk
from .events import emit
from .export_writers import CsvWriter
from .import_clean import CleanRow, RowCleaner
from .import_files import Table, import_rows, open_table
from .import_rows import BatchWriter, SeenKeys
from .import_settings import check_settings, import_folder
from .import_write import change_values, restore_values
from .models import Customer, CustomerImport, ImportChange

__all__ = ["BATCH", "ImportCounts", "run_import"]

BATCH = 2000


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
    # customer types and tags the file names that do not exist (the check: would be created)
    new_values: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` line."""
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped,
                "failed": self.failed, "error_report": self.error_report}


def _batches(table: Table, cleaner: RowCleaner, key: str | None) -> Iterator[list[CleanRow]]:
    """Clean rows in batches of at most BATCH; a row sharing its key, code or USCC with an
    earlier row of the batch starts the next one, so the database sees the earlier row."""
    batch: list[CleanRow] = []
    keys: set[tuple[str, str]] = set()
    for row in import_rows(table):
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
    """The error report (original cells + row + reason, UTF-8 with BOM for Excel, formulas
    neutralised) and the check list the result page shows (row, level, message)."""

    def __init__(self, folder: Path, headers: list[str]) -> None:
        self.errors_path = folder / "errors.csv"
        self.checks_path = folder / "checks.csv"
        self._errors = CsvWriter(self.errors_path)
        self._checks = open(self.checks_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._errors.write([*headers, _("Row"), _("Reason")])
        self.check_writer = csv.writer(self._checks)

    def add(self, failed: list[CleanRow], warned: list[CleanRow]) -> None:
        self._errors.write_rows([[*row.row.cells, str(row.row.number), "; ".join(row.errors)]
                                 for row in failed])
        for row in failed:
            self.check_writer.writerow([row.row.number, "error", "; ".join(row.errors)])
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
        cleaner = RowCleaner(session, table.headers, imp.mapping["fields"], owner_id=user_id,
                             create_missing=imp.mapping.get("create_missing", True),
                             dry_run=dry_run)
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
    counts.new_values = {kind: {"count": len(names), "names": list(names.values())[:20]}
                         for kind, names in cleaner.new.items() if names and dry_run}
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
        _take_back(session, import_id)
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
    if status == "checked" or "new_values" in imp.mapping:
        imp.mapping = {**imp.mapping, "new_values": counts.new_values if status == "checked"
                       else {}}
    imp.finished_at = utcnow()
    session.commit()
    return counts


def _take_back(session: Session, import_id: int) -> None:
    """All or nothing, a row failed while writing: take back what this very run wrote, at
    once and for good (nobody was told of an import that did not happen). Customers it
    created are purged (``customer_purged``), the values it overwrote put back."""
    connection = session.connection()
    table = ImportChange.__table__
    last = None
    while True:  # newest change first, so a customer changed twice ends as it was
        query = select(table.c.id, table.c.customer_id, table.c.old_values).where(
            table.c.import_id == import_id)
        if last is not None:
            query = query.where(table.c.id < last)
        changes = connection.execute(query.order_by(table.c.id.desc()).limit(BATCH)).all()
        if not changes:
            break
        for _change_id, customer_id, stored in changes:
            restore_values(connection, customer_id, change_values(stored)[0])
        bulk.index_in_search(session, [change.customer_id for change in changes])
        last = changes[-1].id
    while ids := list(session.scalars(select(Customer.id).where(
            Customer.import_id == import_id).limit(BATCH))):
        for customer_id in ids:
            emit("customer_purged", session, customer_id=customer_id)
        connection.execute(delete(Customer.__table__).where(Customer.__table__.c.id.in_(ids)))
        bulk.index_in_search(session, ids)
    connection.execute(delete(table).where(table.c.import_id == import_id))
    session.commit()
