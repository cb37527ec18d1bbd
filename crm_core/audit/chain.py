"""The hash chain of the operation log: canonical form, appending, verifying.

Each entry's ``hash`` is SHA-256 over the sorted-key JSON of its content fields plus
``prev_hash``, the hash of the entry before it in id order ("" for the first). Editing an
entry breaks its own hash; deleting or reordering entries breaks the next one's
``prev_hash``. Appending is serialised per database so concurrent writers never fork the chain.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.orm import Session

from .models import AuditEntry

TABLE = AuditEntry.__table__
HASHED_FIELDS = ("at", "user_id", "username", "request_id", "ip", "action", "model",
                 "record_id", "changes", "message", "prev_hash")
LIMITS = {"username": 80, "request_id": 64, "ip": 45, "action": 40, "model": 120,
          "record_id": 64, "message": 500}
# Any constant works, as long as every writer of this database uses the same one: "CRMA".
ADVISORY_LOCK_KEY = 0x43524D41
_TAIL = "crm_audit_tail"  # session.info key: (id, hash) of the last entry, while locked


def json_default(value: Any) -> Any:
    """JSON for values the ``json`` module does not know: dates as ISO strings, Decimal as
    a string, sets as sorted lists, anything else as its ``str()``."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=json_default)


def canonical_time(value: dt.datetime | str | None) -> str | None:
    """An entry's time as UTC ISO text with microseconds.

    SQLite hands timestamps back without a zone and PostgreSQL in the session's zone; both
    were written as UTC, so naive values are read as UTC.
    """
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical form of an entry's content fields and ``prev_hash``."""
    content = {name: entry.get(name) for name in HASHED_FIELDS}
    content["at"] = canonical_time(content["at"])
    if entry.get("message_data") is not None:  # only then: older entries keep their hashes
        content["message_data"] = entry["message_data"]
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def fit(entry: dict[str, Any]) -> dict[str, Any]:
    """Cut text fields to their column widths, before hashing, so the stored row hashes
    exactly as computed (PostgreSQL would refuse an over-long value)."""
    for name, limit in LIMITS.items():
        value = entry.get(name)
        if isinstance(value, str) and len(value) > limit:
            entry[name] = value[:limit]
    return entry


def _lock_chain(connection: Connection) -> None:
    """Make this transaction the only one appending until it ends."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Held until commit or rollback; every writer takes it before reading the tail.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": ADVISORY_LOCK_KEY})
    elif dialect == "sqlite":
        # SQLite has one writer at a time. Entries are written after the flush wrote the
        # business rows, so this transaction already holds the write lock (pysqlite opens
        # the transaction with the first INSERT/UPDATE/DELETE) and nobody can append between
        # our read of the tail and our insert. A transaction that has written nothing yet
        # (the capture locks before the first flush; an event such as a login) takes the
        # write lock now with BEGIN IMMEDIATE, for the same guarantee.
        driver = connection.connection.driver_connection
        if getattr(driver, "autocommit", -1) == -1 and hasattr(driver, "in_transaction"):
            if not driver.in_transaction:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # a driver managing transactions itself: a no-op write takes the lock
            connection.execute(TABLE.update().where(TABLE.c.id == -1).values(
                hash=TABLE.c.hash))


def _next_ids(connection: Connection, last_id: int, count: int) -> list[int]:
    """Ids for ``count`` new entries, all greater than ``last_id``, in ascending order.

    Ids are given explicitly so chain order (by id) is the order we hashed in, whatever
    order a multi-row INSERT would assign them.
    """
    if connection.dialect.name == "postgresql":
        sequence = "pg_get_serial_sequence('core_audit_log', 'id')"
        ids = sorted(connection.execute(text(
            f"SELECT nextval({sequence}) FROM generate_series(1, :n)"), {"n": count}).scalars())
        if ids[0] > last_id:
            return ids
        # The sequence lags behind the table (rows restored with explicit ids): catch up.
        connection.execute(text(f"SELECT setval({sequence}, :v)"), {"v": last_id + count})
    return list(range(last_id + 1, last_id + count + 1))


def lock(session: Session) -> tuple[int, str]:
    """Take the chain lock for the rest of the session's transaction (once) and return the
    id and hash of the last entry.

    The capture takes it *before* flushing the first logged change of a transaction, so a
    writer always takes the chain lock before its row locks: two writers cannot deadlock
    on it. It is held until commit or rollback; keep writing transactions short.
    """
    tail = session.info.get(_TAIL)
    if tail is None:
        connection = session.connection()
        _lock_chain(connection)
        row = connection.execute(
            select(TABLE.c.id, TABLE.c.hash).order_by(TABLE.c.id.desc()).limit(1)).first()
        tail = session.info[_TAIL] = (row.id, row.hash) if row is not None else (0, "")
    return tail


def append(session: Session, entries: list[dict[str, Any]]) -> None:
    """Chain and insert ``entries`` (dicts of AuditEntry columns) in the session's
    transaction, in one multi-row INSERT. They commit or roll back with it."""
    if not entries:
        return
    connection = session.connection()
    last_id, prev = lock(session)
    ids = _next_ids(connection, last_id, len(entries))
    for entry, entry_id in zip(entries, ids, strict=False):
        fit(entry)
        entry["id"] = entry_id
        entry["prev_hash"] = prev
        entry["hash"] = prev = entry_hash(entry)
    connection.execute(insert(TABLE), entries)
    session.info[_TAIL] = (ids[-1], prev)


def forget_tail(session: Session) -> None:
    """Drop the cached tail when a transaction or savepoint ends (the lock ends with it, or
    the rows written under a savepoint may be gone)."""
    session.info.pop(_TAIL, None)


# -- verifying ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """The result of walking the chain: how many entries are intact, and the first bad one."""

    checked: int
    bad_id: int | None = None
    reason: str = ""
    last_id: int | None = None
    last_hash: str = ""

    @property
    def ok(self) -> bool:
        """Whether every entry is intact."""
        return self.bad_id is None


def _rows(connection: Connection, batch: int) -> Iterator[Any]:
    columns = [TABLE.c.id, TABLE.c.hash, TABLE.c.message_data,
               *(TABLE.c[name] for name in HASHED_FIELDS)]
    last = None
    while True:
        query = select(*columns).order_by(TABLE.c.id).limit(batch)
        if last is not None:
            query = query.where(TABLE.c.id > last)
        rows = connection.execute(query).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def verify(connection: Connection, batch: int = 1000) -> Verdict:
    """Walk every entry in id order, ``batch`` rows at a time (constant memory).

    Stops at the first entry whose ``prev_hash`` is not the previous entry's hash (an entry
    was deleted or entries were reordered) or whose hash does not match its content (it was
    edited).
    """
    checked, prev, prev_id = 0, "", None
    for row in _rows(connection, batch):
        if row.prev_hash != prev:
            if prev_id is None:
                reason = ("entries before it were deleted: the first entry must have an "
                          "empty prev_hash")
            else:
                reason = (f"its prev_hash does not match the hash of entry {prev_id}: an entry "
                          "between them was deleted or entries were reordered")
            return Verdict(checked, row.id, reason, prev_id, prev)
        if entry_hash(row._asdict()) != row.hash:
            return Verdict(checked, row.id, "its content was edited: the stored hash does "
                           "not match its content", prev_id, prev)
        checked, prev, prev_id = checked + 1, row.hash, row.id
    return Verdict(checked, None, "", prev_id, prev)
