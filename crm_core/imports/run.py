"""Running an import: the file streamed in batches, checked (dry run) or written.

A pass reads the file a batch of ``BATCH`` rows at a time: clean each row, resolve its
relation names, decide by key (create, update, skip, bad), write through the spec's writer,
remember what was written (``ImportRecord``, for undo), add bad rows to the report. *Keep
the good rows* commits each batch. *All or nothing* checks the whole file first and writes
nothing when a row is bad; its writing pass commits once at the end and rolls everything
back when a row still fails, so nothing half-written survives.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..tabular import Table, open_table
from .bulk import insert_many
from .collector import few_collections
from .files import BadRows, SeenKeys, import_folder, import_rows
from .indexes import deferred_indexes, restore_indexes
from .models import ImportRecord, TabularImport
from .parallel import cleaned_batches
from .rows import SKIP, Cleaner, CleanRow, NewValues, check_keys, resolve_relations
from .service import check_settings
from .spec import BatchCheck, ImportSpec, WriteBatch, WriteResult, option_values
from .undo import import_changes
from .writers import table_writer

__all__ = ["BATCH", "ImportCounts", "run_import"]

BATCH = 2000
# *Keep the good rows* commits every COMMIT_ROWS rows or COMMIT_SECONDS, whichever comes
# first, not every batch: each SQLite commit writes every page the transaction touched, and
# at a million rows a customers batch touches pages all over its indexes, so small commits
# write the same pages again and again (docs/PERFORMANCE.md, issue 11). The time bound keeps
# the waits of other writers (and of the job's progress) short.
COMMIT_ROWS = 50_000
COMMIT_SECONDS = 2.0
Progress = Callable[[float, "ImportCounts"], None]


@dataclass
class ImportCounts:
    """What an import did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    total: int = 0
    warnings: int = 0

    def as_json(self) -> dict[str, Any]:
        """The command line's ``--json`` line."""
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped,
                "failed": self.failed}


def _batches(table: Table, cleaner: Any, spec: ImportSpec, key: str | None
             ) -> Iterator[list[CleanRow]]:
    """Clean rows in batches of at most BATCH; a row sharing its key (or a ``unique`` field)
    with an earlier row of the batch starts the next one, so the database has the earlier
    row by then."""
    batch: list[CleanRow] = []
    keys: set[Any] = set()
    kinds = [kind for kind in dict.fromkeys([key, *spec.unique]) if kind]
    for row in import_rows(table):
        if row.total:  # the file's last rows name a total: listed, not imported
            clean = CleanRow(row, target=SKIP, warnings=[_(
                "Not imported: one of the last rows of the file, it names a total (%(text)s) "
                "and holds no record.", text=(row.cells[0] or row.cells[1]).strip())])
            batch.append(clean)
            continue
        clean = cleaner.clean(row)
        mine = {(kind, value) for kind in kinds
                if (value := spec.key_value(clean.values, kind)) not in (None, "")}
        if len(batch) >= BATCH or mine & keys:
            yield batch
            batch, keys = [], set()
        batch.append(clean)
        keys |= mine
    if batch:
        yield batch


def _sheet(imp: TabularImport) -> str:
    """The workbook's sheet the import reads ("": the first holding a cell, or a CSV)."""
    return str((imp.mapping or {}).get("sheet") or "")


class _Pass:
    """One pass over the file for an import's settings."""

    def __init__(self, session: Session, spec: ImportSpec, imp: TabularImport, *,
                 dry_run: bool, user_id: int | None, done: ImportCounts | None = None
                 ) -> None:
        self.session, self.spec, self.imp = session, spec, imp
        self.dry_run, self.user_id = dry_run, user_id
        # ``done``: what a run whose worker died committed; its rows are not read again
        self.counts, self.new = done or ImportCounts(), NewValues()
        self.resume = done is not None
        self.folder = import_folder(imp.id)
        self.seen = SeenKeys(self.folder / "seen.sqlite") \
            if dry_run and (imp.key or spec.check) else None
        self.write = spec.write or table_writer(spec.model)

    def _cleaner(self, headers: list[str], session: Session) -> Any:
        imp, spec = self.imp, self.spec
        if spec.cleaner is None:
            return Cleaner(spec, headers, imp.mapping["fields"])
        extra = {"options": option_values(spec, imp.mapping)} if spec.options else {}
        return spec.cleaner(session, headers, imp.mapping["fields"], user_id=self.user_id,
                            create_missing=imp.create_missing, dry_run=self.dry_run, **extra)

    def _cleaned(self, table: Table) -> Iterator[tuple[list[CleanRow], float]]:
        """The file's clean batches and how far each is into the file: from a second
        process for a large file (``parallel``), else cleaned here from ``table``."""
        imp = self.imp

        def clean(session: Session | None) -> Iterator[tuple[list[CleanRow], float]]:
            source = table if session is None else open_table(
                imp.stored_path, imp.filename, encoding=imp.encoding, sheet=_sheet(imp))
            try:
                cleaner = self._cleaner(source.headers, session or self.session)
                for batch in _batches(source, cleaner, self.spec, imp.key):
                    yield batch, source.progress()
            finally:
                if source is not table:
                    source.close()

        size = os.path.getsize(imp.stored_path)
        return cleaned_batches(size, self.session.get_bind(), clean)

    def run(self, progress: Progress, commit: bool) -> ImportCounts:
        with few_collections():
            return self._run(progress, commit)

    def _run(self, progress: Progress, commit: bool) -> ImportCounts:
        imp = self.imp
        with open_table(imp.stored_path, imp.filename, encoding=imp.encoding,
                        sheet=_sheet(imp)) as table:
            report = BadRows(self.folder, table.headers, resume=self.resume)
            pending, since, skip = 0, time.monotonic(), self.counts.total
            try:
                for batch, fraction in self._cleaned(table):
                    if skip:  # rows a dead run committed, with the counts that say so
                        batch, skip = batch[skip:], max(0, skip - len(batch))
                        if not batch:
                            continue
                    self._batch(batch)
                    report.add((row.row, row.errors) for row in batch if row.errors)
                    report.warn((row.row, row.warnings) for row in batch
                                if row.warnings and not row.errors)
                    if self.dry_run:
                        self.session.rollback()
                    elif commit:
                        pending += len(batch)
                        if pending < COMMIT_ROWS \
                                and time.monotonic() - since < COMMIT_SECONDS:
                            continue  # progress is told after a commit: the job's own
                            # commit would wait for this transaction's write lock
                        self._commit()
                        pending, since = 0, time.monotonic()
                    progress(fraction, self.counts)
                if pending:
                    self._commit()
                    progress(1.0, self.counts)
            finally:
                report.close()
                if self.seen is not None:
                    self.seen.close()
        return self.counts

    def _commit(self) -> None:
        _store_counts(self.session, self.imp.id, self.counts)
        self.session.commit()

    def _batch(self, rows: list[CleanRow]) -> None:
        if rows[-1].row.total:  # only the file's last rows can be: skipped and listed (not
            # counted as warnings: a spec's note on them speaks of its own, such as duplicates)
            totals = sum(1 for row in rows if row.row.total)
            self.counts.total += totals
            self.counts.skipped += totals
            rows = [row for row in rows if not row.row.total]
            if not rows:
                return
        imp, session = self.imp, self.session
        resolve_relations(session, self.spec, rows, create_missing=imp.create_missing,
                          dry_run=self.dry_run, new=self.new)
        if self.spec.check is not None:
            self.spec.check(BatchCheck(session, rows, imp.mode, imp.key, self.user_id,
                                       self.dry_run, self.seen, imp.id))
        else:
            check_keys(session, self.spec, rows, mode=imp.mode, key=imp.key,
                       user_id=self.user_id, earlier=self._earlier(rows))
        inserts = [row for row in rows if not row.errors and row.target is None]
        updates = [row for row in rows if not row.errors and row.target not in (None, SKIP)]
        counts = self.counts
        counts.total += len(rows)
        counts.failed += sum(1 for row in rows if row.errors)
        counts.skipped += sum(1 for row in rows if not row.errors and row.target is SKIP)
        counts.warnings += sum(1 for row in rows if row.warnings and not row.errors)
        if self.dry_run:
            counts.created += len(inserts)
            counts.updated += len(updates)
            return
        defaults = self.spec.defaults(self.user_id) if self.spec.defaults else {}
        result = self.write(WriteBatch(session, [{**defaults, **row.defaults, **row.values}
                                                 for row in inserts],
                                       [(row.target, row.values) for row in updates],
                                       imp.id, self.user_id)) or WriteResult()
        counts.created += len(result.created)
        counts.updated += len(result.updated)
        counts.skipped += len(updates) - len(result.updated)
        insert_many(session.connection(), ImportRecord,
                    ("import_id", "record_id", "created", "old", "new"),
                    [(imp.id, str(record_id), True, None, None) for record_id in result.created
                     if self.spec.record_created]
                    + [(imp.id, str(record_id), False, old, new)
                       for record_id, (old, new) in result.updated.items()])

    def _earlier(self, rows: list[CleanRow]) -> dict[Any, int]:
        """In a dry run: rows before this batch (or earlier in it) with the same key."""
        key = self.imp.key
        if self.seen is None or not key:
            return {}
        values = [(value, row.row.number) for row in rows
                  if (value := self.spec.key_value(row.values, key)) not in (None, "")]
        first = self.seen.earlier(key, (value for value, _number in values))
        for value, number in values:  # the first row of each value, in this batch or before
            first.setdefault(value, number)
        self.seen.add(key, values)
        return first


def _store_counts(session: Session, import_id: int, counts: ImportCounts) -> None:
    session.connection().execute(update(TabularImport.__table__).where(
        TabularImport.__table__.c.id == import_id).values(
        total=counts.total, created=counts.created, updated=counts.updated,
        skipped=counts.skipped, failed=counts.failed))


def run_import(session: Session, spec: ImportSpec, imp: TabularImport, *,
               dry_run: bool = False, user_id: int | None = None,
               progress: Progress | None = None, resume: bool = False) -> ImportCounts:
    """Check (``dry_run``) or run import ``imp`` with its mapping and settings.

    ``user_id`` is who imports (None: the command line, which may touch any record).
    Sets the import's status (``checked``, ``done``, ``failed``), counts and message.
    ``resume``: the run's worker died (the job runs again); each commit stored the counts
    with the rows, so the run goes on after the rows they count, none written twice.
    """
    check_settings(spec, imp.mapping["fields"], imp.mode, imp.key)
    report = progress or (lambda _fraction, _counts: None)
    import_id = imp.id
    done = None
    if not dry_run:
        done = ImportCounts(total=imp.total, created=imp.created, updated=imp.updated,
                            skipped=imp.skipped, failed=imp.failed) if resume else None
        if done is None:  # a new run counts from 0 (the check left its own counts)
            _store_counts(session, import_id, ImportCounts())
            session.commit()
    # all or nothing checks the file first, unless a dead run had passed the check already
    # and begun writing (its own rows would now fail the check as existing)
    if dry_run or imp.all_or_nothing and not (done and done.total):
        check = _Pass(session, spec, imp, dry_run=True, user_id=user_id)
        scale = 0.5 if not dry_run else 1.0
        counts = check.run(lambda fraction, done: report(fraction * scale, done), commit=False)
        new_values = check.new.as_json()
        if dry_run:
            return _finish(session, import_id, counts, "checked", new_values=new_values,
                           message=_warned(spec, counts))
        if counts.failed:
            return _finish(session, import_id, counts, "failed", created=0, updated=0,
                           skipped=0, message=_nothing_written(counts.failed))
        report = _second_half(report)
    imp = session.get(TabularImport, import_id)
    imp.status = "running"
    session.commit()
    table = spec.model.__table__
    restore_indexes(session, table, spec.deferred_indexes)  # a dead run may have left them out
    commits = not imp.all_or_nothing or spec.take_back is not None
    writing = _Pass(session, spec, session.get(TabularImport, import_id), dry_run=False,
                    user_id=user_id, done=done)
    try:
        # a large load into a small table builds the list indexes at the end (indexes.py);
        # only a pass that commits as it goes: the indexes are built and committed after it
        with deferred_indexes(session, table, spec.deferred_indexes if commits else (),
                              os.path.getsize(imp.stored_path)):
            counts = writing.run(report, commit=commits)
    except Exception:
        session.rollback()
        raise
    if spec.after_run is not None and (counts.created or counts.updated):
        spec.after_run(session)
        session.commit()
    if imp.all_or_nothing and counts.failed:  # a row went bad after the check: nothing
        session.rollback()
        if spec.take_back is not None:
            _take_back(session, spec, import_id)
        return _finish(session, import_id, counts, "failed", created=0, updated=0,
                       skipped=0, message=_nothing_written(counts.failed))
    return _finish(session, import_id, counts, "done", message=_warned(spec, counts))


def _take_back(session: Session, spec: ImportSpec, import_id: int) -> None:
    """All or nothing, committed batch by batch: the spec undoes the run for good."""
    _created, updated = import_changes(session, import_id)
    spec.take_back(session, import_id, updated)  # type: ignore[misc]
    session.execute(delete(ImportRecord).where(ImportRecord.import_id == import_id))
    session.commit()


def _warned(spec: ImportSpec, counts: ImportCounts) -> str:
    if not counts.warnings:
        return ""
    note = spec.warning_note or _l("%(count)d rows have warnings: see the list below.")
    return str(note) % {"count": counts.warnings}


def _second_half(report: Progress) -> Progress:
    return lambda fraction, counts: report(0.5 + fraction / 2, counts)


def _nothing_written(failed: int) -> str:
    return _("All or nothing: %(count)d bad rows, so nothing was imported.", count=failed)


def _finish(session: Session, import_id: int, counts: ImportCounts, status: str,
            message: str = "", new_values: dict[str, Any] | None = None,
            **overrides: int) -> ImportCounts:
    for name, value in overrides.items():
        setattr(counts, name, value)
    imp = session.get(TabularImport, import_id)
    imp.status, imp.total, imp.created = status, counts.total, counts.created
    imp.updated, imp.skipped, imp.failed = counts.updated, counts.skipped, counts.failed
    imp.message = message
    if new_values is not None:
        imp.new_values = new_values
    imp.finished_at = utcnow()
    session.commit()
    return counts
