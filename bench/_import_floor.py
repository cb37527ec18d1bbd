"""The import's floor with its own schema: the rows an import just wrote, written again as
plain SQL into an empty database of the same schema.

``bench/customers.py``'s other import floor inserts ten columns into a table without indexes:
the database's best case, far from what an import stores. This one writes what the import
wrote, with nothing computed: each customer with every column, its phones, e-mails and tags,
and its two search documents (FTS5 trigram and bigram), through ``executemany`` on a plain
sqlite3 connection with the app's settings (WAL, ``synchronous=NORMAL``, foreign keys) and
the import's loading settings, committing as the import does (``COMMIT_ROWS`` rows or
``COMMIT_SECONDS`` of writing), and, when the import left them out (a large first load),
the list indexes built after the load. Only the writes are timed: reading the rows back
from the imported database is not. What is left between this and the import is the
import's own work (reading, cleaning, checks, Python).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

BATCH = 2000
CHILDREN = ("customers_customer_phone", "customers_customer_email", "customers_customer_tag")
# What the customers refer to that an import creates before writing them (the import itself,
# new customer types and tags): copied first, untimed.
REFERRED = ("core_import", "customers_customer_type", "customers_tag")
SEARCH = (("customers_search_fts", "rowid, name, code, extra, pinyin"),
          ("customers_search_bigram", "rowid, cjk, ini"))


def _settings(connection: sqlite3.Connection) -> None:
    from crm_core.db import SQLITE_CACHE_KIB
    from plugins.customers.records.bulk import LOADING_PRAGMAS

    for name, value in {"journal_mode": "WAL", "synchronous": "NORMAL", "foreign_keys": "ON",
                        "cache_size": -SQLITE_CACHE_KIB, **LOADING_PRAGMAS}.items():
        connection.execute(f"PRAGMA {name}={value}")


def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def schema_floor(source: Path, empty: Path, defer: bool) -> dict[str, Any]:
    """Write the customers of ``source`` (an imported database) into ``empty`` (a migrated
    database without customers) as plain SQL, the list indexes built after the load when
    ``defer``; the rows/s and the seconds of each part."""
    from crm_core.imports.run import COMMIT_ROWS, COMMIT_SECONDS
    from plugins.customers.importing.specs import LIST_INDEXES

    read = sqlite3.connect(source)
    write = sqlite3.connect(empty, isolation_level=None)
    _settings(write)
    deferred = write.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                             f"name IN ({', '.join('?' * len(LIST_INDEXES))})",
                             LIST_INDEXES).fetchall() if defer else []
    for name, _sql in deferred:
        write.execute(f"DROP INDEX {name}")
    for table in REFERRED:
        columns = _columns(read, table)
        write.executemany(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES "
                          f"({', '.join('?' * len(columns))})",
                          read.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall())
    tables = ["customers_customer", *CHILDREN]
    inserts = {table: f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                      f"({', '.join('?' * len(columns))})"
               for table in tables for columns in [_columns(read, table)]}
    selects = {table: f"SELECT {', '.join(_columns(read, table))} FROM {table} WHERE "
                      f"{'id' if table == 'customers_customer' else 'customer_id'} "
                      "BETWEEN ? AND ?" for table in tables}
    for name, columns in SEARCH:
        marks = ", ".join("?" * len(columns.split(",")))
        inserts[name] = f"INSERT INTO {name} ({columns}) VALUES ({marks})"
        selects[name] = f"SELECT {columns} FROM {name} WHERE rowid BETWEEN ? AND ?"
    spent = dict.fromkeys([*inserts, "commits", "list indexes"], 0.0)
    rows = pending = last = 0
    since = 0.0  # seconds written since the last commit (the import's time bound)
    write.execute("BEGIN")
    while ids := [row[0] for row in read.execute(
            "SELECT id FROM customers_customer WHERE id > ? ORDER BY id LIMIT ?", (last, BATCH))]:
        span = (ids[0], ids[-1])
        for table, statement in inserts.items():
            values = read.execute(selects[table], span).fetchall()
            began = time.perf_counter()
            write.executemany(statement, values)
            took = time.perf_counter() - began
            spent[table] += took
            since += took
        rows, pending, last = rows + len(ids), pending + len(ids), ids[-1]
        if pending >= COMMIT_ROWS or since >= COMMIT_SECONDS:
            began = time.perf_counter()
            write.execute("COMMIT")
            write.execute("BEGIN")
            spent["commits"] += time.perf_counter() - began
            pending, since = 0, 0.0
    began = time.perf_counter()
    write.execute("COMMIT")
    spent["commits"] += time.perf_counter() - began
    began = time.perf_counter()
    for _name, sql in deferred:
        write.execute(sql)
    spent["list indexes"] += time.perf_counter() - began
    read.close()
    write.close()
    total = sum(spent.values())
    return {"rows": rows, "seconds": round(total, 1), "rows_per_s": rows / total if total else 0,
            "parts_s": {name: round(value, 1) for name, value in spent.items()}}
