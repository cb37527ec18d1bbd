"""The import figure of ``bench/customers.py`` and its two floors.

``measure_import`` runs ``crm customers import`` of the benchmark's CSV into a fresh database
(``bench/README.md``). Beside it, a plain insert of ten columns into a table without indexes
(``_customers_measure.insert_floor``), and ``schema_floor``: the rows the import just wrote,
written again as plain SQL into an empty database of the same schema.

The first floor is the database's best case, far from what an import stores. The second
writes what the import wrote, with nothing computed: each customer with every column, its
phones, e-mails and tags, and its two search documents (FTS5 trigram and bigram), through
``executemany`` on a plain
sqlite3 connection with the app's settings (WAL, ``synchronous=NORMAL``, foreign keys) and
the import's loading settings, committing as the import does (``COMMIT_ROWS`` rows or
``COMMIT_SECONDS`` of writing), and, when the import left them out (a large first load),
the list indexes built after the load. Only the writes are timed: reading the rows back
from the imported database is not. What is left between this and the import is the
import's own work (reading, cleaning, checks, Python).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from _customers_build import Target, drop, import_csv, prepare, target
from _customers_measure import CRM, Figure, Floor, baseline, insert_floor, run_measured

from crm_core.imports.indexes import DEFER_BYTES

BATCH = 2000
CHILDREN = ("customers_customer_phone", "customers_customer_email", "customers_customer_tag")
# What the customers refer to that an import creates before writing them (the import itself,
# new customer types and tags): copied first, untimed.
REFERRED = ("core_import", "customers_customer_type", "customers_tag")
SEARCH = (("customers_search_fts", "rowid, name, code, extra, pinyin"),
          ("customers_search_bigram", "rowid, cjk, ini"))


def _settings(connection: sqlite3.Connection) -> None:
    """The app's settings of a connection, then the import's loading settings."""
    from crm_core.db import sqlite_pragmas
    from plugins.customers.records.bulk import LOADING_PRAGMAS

    sqlite_pragmas(connection)
    for name, value in LOADING_PRAGMAS.items():
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


def measure_import(target_: Target, rows: int, seed: int, postgres_admin: str) -> Figure:
    """``crm customers import`` of a ``rows``-row CSV into a fresh database (users only)."""
    figure = Figure(f"Import, CSV, {rows:,} new rows (`crm customers import`)",
                    "≥ 10,000 rows/s (SQLite)")
    path = import_csv(rows, seed)
    app = prepare(target_, postgres_admin)
    app.extensions["crm_db"].engine.dispose()
    environment = target_.environment()
    try:
        base_seconds, base_mib = baseline(environment)
        seconds, mib, stdout = run_measured(
            [CRM, "customers", "import", str(path), "--json"], environment, ok=(0, 1))
        counts = json.loads(stdout.strip().splitlines()[-1])
    except (RuntimeError, ValueError, IndexError) as error:
        figure.note = str(error).splitlines()[0][:200]
        return figure
    created = counts.get("created", 0)
    rate, growth = created / max(seconds - base_seconds, 1e-6), mib - base_mib
    figure.product = f"{rate:,.0f} rows/s, +{growth:.0f} MiB"
    figure.note = (f"created {created:,}, failed {counts.get('failed', 0):,}, "
                   f"{seconds:.0f} s")
    figure.raw.update(rows_per_s=rate, rss_growth_mib=growth, counts=counts, seconds=seconds)
    figure.met = ("yes" if rate >= 10_000 else "no") if target_.kind == "sqlite" else "–"
    floor = Floor(target_)
    try:
        # The floor needs a customers table with rows to copy: use the imported ones.
        floor_rate = insert_floor(floor)
        figure.floor = f"{floor_rate:,.0f} rows/s (ten columns, no indexes)"
        figure.raw["floor_rows_per_s"] = floor_rate
    finally:
        floor.close()
    if target_.kind == "sqlite" and created:
        empty = target("sqlite", f"import-floor-{rows}", postgres_admin)
        prepare(empty, postgres_admin).extensions["crm_db"].engine.dispose()
        same = schema_floor(Path(target_.driver_url()), Path(empty.driver_url()),
                            defer=path.stat().st_size >= DEFER_BYTES)
        drop(empty, postgres_admin)
        figure.floor = (f"{same['rows_per_s']:,.0f} rows/s (the same rows as plain SQL into "
                        f"the same schema: {same['seconds']} s); {figure.floor}")
        figure.raw["schema_floor"] = same
    return figure
