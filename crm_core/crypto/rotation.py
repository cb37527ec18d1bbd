"""Re-encrypting everything under the current key: ``crm keys rotate`` (a kernel job).

Every encrypted column of every enabled plugin's models is read by primary key in batches;
each value that is plain text or carries another key's id is decrypted and written back under
the current key, its blind index recomputed. Then every stored attachment not under the
current key is encrypted again. The job reports progress as it goes; it can be run again at
any time (rows already under the current key are skipped), and when ``pending`` finds
nothing left, the old keys can be removed from ``CRM_ENCRYPTION_KEY``.

Rows are updated with Core statements that leave ``updated_at`` alone: a rotation changes
how a value is stored, not the record, so it neither reorders lists nor fills the operation
log with row changes (one ``keys_rotated`` entry says what was done).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, Text, bindparam, inspect, select, type_coerce, update
from sqlalchemy.orm import Session

from ..audit.service import record_event
from .cipher import decrypt_text, key_id_of, ring
from .streams import encrypt_file, key_id_of_stream
from .types import EncryptedString, encrypted_columns

log = logging.getLogger(__name__)
BATCH = 500
Progress = Callable[[float, Any], None]


@dataclass(frozen=True)
class Target:
    """One table's encrypted columns: (column name, type) pairs."""

    table: Table
    columns: tuple[tuple[str, EncryptedString], ...]


@dataclass
class Rotated:
    """What a rotation did: rows re-encrypted per table, and files."""

    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0


def targets() -> list[Target]:
    """The tables of the enabled plugins that hold encrypted columns."""
    found = []
    for models in current_app.extensions["crm"].models.values():
        for model in models:
            mapper = inspect(model)
            columns = tuple((mapper.columns[key].name, column_type)
                            for key, column_type in encrypted_columns(mapper))
            if columns:
                found.append(Target(mapper.local_table, columns))  # type: ignore[arg-type]
    return sorted(found, key=lambda target: target.table.name)


def _stale(value: str | None, current: str) -> bool:
    return bool(value) and key_id_of(value) != current  # type: ignore[arg-type]


def _raw_batches(session: Session, target: Target, batch: int) -> Iterator[list[Any]]:
    table, last = target.table, None
    pk = table.c.id
    raw = [type_coerce(table.c[name], Text).label(name) for name, _ in target.columns]
    while True:
        query = select(pk, *raw).order_by(pk).limit(batch)
        if last is not None:
            query = query.where(pk > last)
        rows = session.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _rotate_table(session: Session, target: Target, batch: int,
                  report: Callable[[int], None]) -> int:
    current, done = ring().current.id, 0
    table = target.table
    keep_time = {"updated_at": table.c.updated_at} if "updated_at" in table.c else {}
    for rows in _raw_batches(session, target, batch):
        for name, column_type in target.columns:
            changed = []
            for row in rows:
                value = row._mapping[name]
                if not _stale(value, current):
                    continue
                plain = decrypt_text(value, column_type.purpose)
                values = {"_id": row[0], "_old": value, name: plain}
                if column_type.blind_index:
                    values[column_type.blind_index] = column_type.index_of(plain)
                changed.append(values)
            if changed:
                columns = {key: bindparam(key) for key in changed[0]
                           if key not in ("_id", "_old")}
                # only where the value is still the one read: a user's write in between
                # (under the current key already) is never overwritten with the old value
                session.connection().execute(  # Core: no ORM bulk-update semantics
                    update(table).where(table.c.id == bindparam("_id"),
                                        type_coerce(table.c[name], Text)
                                        == bindparam("_old", type_=Text))
                    .values(**columns, **keep_time), changed)
                done += len(changed)
        session.commit()
        report(len(rows))
    return done


class BlockReader(io.RawIOBase):
    """A read-only file object over an iterator of byte blocks."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks, self._left = blocks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            self._left = next(self._blocks, b"")
            if not self._left:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size], self._left = self._left[:size], self._left[size:]
        return size


def _blob_keys() -> Iterator[tuple[str, str]]:
    """``(store key, sha256)`` of every stored attachment (a folder or a bucket)."""
    from ..files.stores import file_store

    for key in file_store().keys():
        name = key.rsplit("/", 1)[-1]
        if len(name) == 64 and key.count("/") == 2:  # ab/12/<sha256>; not temporary files
            yield key, name


def _stale_blob(key: str, current: str) -> bool:
    from ..files.stores import file_store

    with file_store().open(key) as handle:
        return key_id_of_stream(handle) != current


def _rotate_files() -> Iterator[bool]:
    """Re-encrypt each stored attachment not under the current key: decrypted and encrypted
    again in one pass into a temporary file (no plain copy on disk), then saved over the old
    one by the store (an atomic rename in a folder, one PUT in a bucket)."""
    from ..files import storage
    from ..files.stores import file_store

    current = ring().current.id
    staging = storage.files_dir() / "incoming"
    staging.mkdir(parents=True, exist_ok=True)
    for key, sha256 in _blob_keys():
        stale = _stale_blob(key, current)
        if stale:
            sealed = staging / f"rotate-{sha256}"
            try:
                encrypt_file(BlockReader(storage.open_plain(sha256) or iter(())), sealed)
                file_store().save_file(key, sealed)
            finally:
                sealed.unlink(missing_ok=True)
        yield stale


def count_rows(session: Session, target: Target) -> int:
    """How many rows ``target``'s table has."""
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(target.table)) or 0)


def rotate(session: Session, progress: Progress | None = None, batch: int = BATCH) -> Rotated:
    """Re-encrypt every stale row and file under the current key; returns what it did."""
    progress = progress or (lambda _percent, _message: None)
    found = targets()
    total = sum(count_rows(session, target) for target in found) or 1
    seen, result = 0, Rotated()

    def report(rows: int) -> None:
        nonlocal seen
        seen += rows
        progress(90 * seen / total, _l("Re-encrypted %(done)d of %(total)d rows",
                                       done=seen, total=total))

    for target in found:
        result.rows[target.table.name] = _rotate_table(session, target, batch, report)
    progress(90, _l("Re-encrypting the attachments"))
    result.files = sum(_rotate_files())
    record_event("keys_rotated", _l("Re-encrypted %(rows)d values and %(files)d files under "
                                    "the key %(key)s", rows=sum(result.rows.values()),
                                    files=result.files, key=ring().current.id),
                 changes={"key": ring().current.id, "rows": result.rows,
                          "files": result.files}, session=session)
    session.commit()
    log.info("key rotation done: %s", result)
    return result


def pending(session: Session) -> dict[str, int]:
    """Values and files not yet under the current key, by table (``files`` for attachments)."""
    current, left = ring().current.id, {}
    for target in targets():
        count = 0
        for rows in _raw_batches(session, target, 5000):
            count += sum(1 for row in rows for name, _ in target.columns
                         if _stale(row._mapping[name], current))
        left[target.table.name] = count
    left["files"] = sum(_stale_blob(key, current) for key, _sha256 in _blob_keys())
    return left


def rotate_job(job: Any) -> Any:
    """The ``core.keys_rotate`` job task."""
    from ..db import get_session

    result = rotate(get_session(), job.progress)
    return _l("Re-encrypted %(rows)d values and %(files)d files.",
              rows=sum(result.rows.values()), files=result.files)
