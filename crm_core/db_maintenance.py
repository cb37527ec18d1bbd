"""Planner statistics: ``analyze(tables)`` after bulk changes, ``PRAGMA optimize`` on SQLite.

A query planner without fresh statistics picks bad plans after a bulk load (PostgreSQL took
0.8–2.3 s for customer searches right after a million-row import; SQLite read "deleted_at IS
NULL" through its index). ``analyze`` is what a plugin calls after it loads or deletes many
rows. On SQLite every pooled connection also runs ``PRAGMA optimize`` when it goes back to the
pool (at most once an hour per connection) and when it is closed, as SQLite recommends for
long-lived connections; it re-analyses only tables whose size changed a lot, sampled
(``analysis_limit``), so it costs milliseconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from flask import Flask
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from .db import get_session

log = logging.getLogger(__name__)

SAMPLE_ROWS = 2000  # rows SQLite samples per index (``analysis_limit``); None: every row
OPTIMIZE_EVERY = 3600.0  # seconds between two ``PRAGMA optimize`` of one pooled connection


def analyze(tables: Iterable[str], session: Session | None = None,
            sample_rows: int | None = SAMPLE_ROWS) -> list[str]:
    """Refresh the planner's statistics of ``tables`` (SQLite and PostgreSQL).

    Call it after a bulk load or delete, in the caller's transaction (the caller commits).
    Tables that do not exist (a PostgreSQL-only table on SQLite) are skipped; the names
    analysed are returned. On SQLite ``sample_rows`` bounds the rows read per index (None
    reads them all); PostgreSQL always samples (``default_statistics_target``).
    """
    connection = (session or get_session()).connection()
    names = _existing(connection, list(dict.fromkeys(tables)))
    if not names:
        return []
    quote = connection.dialect.identifier_preparer.quote
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE " + ", ".join(quote(name) for name in names))
        return names
    before = connection.exec_driver_sql("PRAGMA analysis_limit").scalar() or 0
    connection.exec_driver_sql(f"PRAGMA analysis_limit={int(sample_rows or 0)}")
    try:
        for name in names:
            connection.exec_driver_sql(f"ANALYZE {quote(name)}")
    finally:
        connection.exec_driver_sql(f"PRAGMA analysis_limit={int(before)}")
    if sample_rows and _count_saturated(connection, names, int(sample_rows)):
        connection.exec_driver_sql("ANALYZE sqlite_schema")  # the planner rereads them
    return names


def _count_saturated(connection: Connection, names: list[str], sample_rows: int) -> int:
    """Correct the estimates a sampled ANALYZE saturated; how many indexes it corrected.

    Sampling ``sample_rows`` index entries, SQLite cannot see past them: a column with few
    values (a department of a million tickets) gets "``sample_rows`` + 1 rows per value", as
    if it were selective. At two million tickets the planner then answered a department's
    list by merging two indexes and sorting half the table (5.7 s) instead of reading the
    newest rows (milliseconds). Each saturated prefix of an index is counted exactly, one
    scan of that index (``COUNT`` of its distinct prefixes), and written back.
    """
    quote = connection.dialect.identifier_preparer.quote
    marks = ", ".join("?" for _ in names)
    rows = connection.exec_driver_sql(
        f"SELECT tbl, idx, stat FROM sqlite_stat1 WHERE idx IS NOT NULL AND tbl IN ({marks})",
        tuple(names)).all()
    corrected = 0
    for table, index, stat in rows:
        parts = str(stat).split()
        numbers = [part for part in parts if part.isdigit()]
        if len(numbers) < 2 or all(int(value) <= sample_rows for value in numbers[1:]):
            continue
        columns = [row[2] for row in connection.exec_driver_sql(
            f"PRAGMA index_info({quote(index)})").all()]
        total = connection.exec_driver_sql(
            f"SELECT COUNT(*) FROM {quote(table)} INDEXED BY {quote(index)}").scalar() or 0
        values = [str(total)]
        for width, value in enumerate(numbers[1:], start=1):
            if int(value) > sample_rows and width <= len(columns):
                prefix = ", ".join(quote(column) for column in columns[:width])
                distinct = connection.exec_driver_sql(
                    f"SELECT COUNT(*) FROM (SELECT DISTINCT {prefix} FROM {quote(table)} "
                    f"INDEXED BY {quote(index)})").scalar() or 1
                value = str(max(1, round(total / distinct)))
            values.append(value)
        rest = parts[len(numbers):]  # "unordered", "sz=…": kept as SQLite wrote them
        connection.exec_driver_sql("UPDATE sqlite_stat1 SET stat = ? WHERE tbl = ? AND idx = ?",
                                   (" ".join(values + rest), table, index))
        corrected += 1
    return corrected


def index_names(connection: Connection, table: str) -> set[str]:
    """The names of ``table``'s indexes in the database, read from the catalogue (the
    inspector does not reflect expression indexes on SQLite, such as custom fields', and
    warns about each of them)."""
    if connection.dialect.name == "postgresql":
        query = ("SELECT indexname FROM pg_indexes WHERE tablename = :table "
                 "AND schemaname = current_schema()")
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
    return set(connection.execute(text(query), {"table": table}).scalars())


def _existing(connection: Connection, names: list[str]) -> list[str]:
    for name in names:
        if not isinstance(name, str) or not name.replace("_", "").isalnum():
            raise ValueError(f"analyze(): {name!r} is not a table name")
    inspector = inspect(connection)
    return [name for name in names if inspector.has_table(name)]


# -- PRAGMA optimize ---------------------------------------------------------------------------

def _optimize(dbapi_connection: Any) -> None:
    """``PRAGMA optimize`` without waiting: it may write ``sqlite_stat1``, and a request
    returning its connection must not wait for another process's write lock."""
    try:
        waited = dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0]
        dbapi_connection.execute("PRAGMA busy_timeout=0")
        try:
            dbapi_connection.execute("PRAGMA optimize")
        finally:
            dbapi_connection.execute(f"PRAGMA busy_timeout={int(waited)}")
    except Exception as exc:  # locked or closing: a later checkin or close does it
        log.debug("PRAGMA optimize skipped: %s", exc)


def _on_connect(dbapi_connection: Any, record: Any) -> None:
    dbapi_connection.execute(f"PRAGMA analysis_limit={SAMPLE_ROWS}")
    record.info["crm_optimized_at"] = time.monotonic()


def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    if dbapi_connection is None:
        return
    now = time.monotonic()
    if now - record.info.get("crm_optimized_at", now) >= OPTIMIZE_EVERY:
        record.info["crm_optimized_at"] = now
        _optimize(dbapi_connection)


def _on_close(dbapi_connection: Any, _record: Any) -> None:
    _optimize(dbapi_connection)


def install_sqlite_optimize(engine: Engine) -> None:
    """Run ``PRAGMA optimize`` on ``engine``'s SQLite connections (no-op on PostgreSQL)."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "connect", _on_connect):
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine.pool, "checkin", _on_checkin)
    event.listen(engine.pool, "close", _on_close)


def init_app(app: Flask) -> None:
    """Install ``PRAGMA optimize`` on the app's engine (after ``Database(app)``)."""
    install_sqlite_optimize(app.extensions["crm_db"].engine)
