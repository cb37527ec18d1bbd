"""Measuring the customers benchmark: each figure through the real app (Flask test client,
in-process, server side) and its raw SQL floor (plain sqlite3 / psycopg) in the same run.

A figure whose endpoint or command does not exist (yet) is reported as not measured.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _customers_build import DATA, ROOT, Target

CRM = str(Path(sys.executable).with_name("crm"))


@dataclass
class Figure:
    """One row of the result table."""

    name: str
    target: str  # "≤ 20 ms p95", "≥ 10,000 rows/s"
    product: str = "not measured"
    floor: str = "–"
    met: str = "–"
    note: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 (nearest rank) of ``samples`` in ms."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def timed(call: Callable[[], Any], runs: int, warmup: int = 2) -> tuple[float, float]:
    """p50, p95 in ms of ``runs`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return percentiles(samples)


def _ms(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.1f} / {pair[1]:.1f} ms"


# ---------------------------------------------------------------------------- raw floor


class Floor:
    """Plain driver connection to the same database, for the floor of each figure."""

    def __init__(self, target: Target) -> None:
        self.kind = target.kind
        if target.kind == "sqlite":
            self.connection: Any = sqlite3.connect(target.driver_url())
        else:
            import psycopg

            # No automatic server-side prepare: it can make trigram searches 2,000x slower.
            self.connection = psycopg.connect(target.driver_url(), prepare_threshold=None,
                                              autocommit=True)

    def sql(self, statement: str) -> str:
        """``?`` placeholders as the driver wants them."""
        return statement if self.kind == "sqlite" else statement.replace("?", "%s")

    def rows(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a query and fetch everything."""
        cursor = self.connection.cursor()
        cursor.execute(self.sql(statement), params)
        return cursor.fetchall()

    def time(self, statement: str, params: tuple[Any, ...], runs: int) -> tuple[float, float]:
        """p50, p95 in ms of a query (fetching every row)."""
        return timed(lambda: self.rows(statement, params), runs)

    def time_many(self, statements: list[tuple[str, tuple[Any, ...]]], runs: int
                  ) -> tuple[float, float]:
        """p50, p95 in ms of several queries run one after the other."""
        return timed(lambda: [self.rows(sql, params) for sql, params in statements], runs)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


LIST_COLUMNS = ("id, name, code, kind, industry, province, city, owner_id, total_amount, "
                "updated_at")


# ---------------------------------------------------------------------------- subprocesses


def run_measured(command: list[str], environment: dict[str, str], cwd: Path = ROOT,
                 ok: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """Run ``command`` under /usr/bin/time; returns wall seconds, peak RSS in MiB, stdout.
    Exit codes other than ``ok`` raise RuntimeError with the end of stderr."""
    env = {**os.environ, **environment}
    timer = shutil.which("time") or "/usr/bin/time"
    done = subprocess.run([timer, "-f", "BENCH %e %M", *command], env=env, cwd=cwd,
                          capture_output=True, text=True)
    marker = [line for line in done.stderr.splitlines() if line.startswith("BENCH ")]
    if done.returncode not in ok or not marker:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n"
                           f"{done.stderr[-2000:]}")
    _tag, seconds, kib = marker[-1].split()
    return float(seconds), int(kib) / 1024, done.stdout


def baseline(environment: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS of ``crm customers --help``: loading the app, no work. The
    import and export figures subtract it, to count only the work itself."""
    seconds, mib, _out = run_measured([CRM, "customers", "--help"], environment)
    return seconds, mib


def export_floor(driver: str, url: str, out: str) -> None:
    """Streamed CSV export of every customer with plain SQL (run in a subprocess)."""
    if driver == "sqlite":
        connection: Any = sqlite3.connect(url)
    else:
        import psycopg

        connection = psycopg.connect(url)
    cursor = connection.cursor(**({} if driver == "sqlite" else {"name": "export"}))
    cursor.execute("SELECT id, code, name, kind, industry, province, city, country, source, "
                   "level, status, address, website, uscc, total_amount, last_contact_at, "
                   "created_at FROM customers_customer WHERE deleted_at IS NULL ORDER BY id")
    count = 0
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        while batch := cursor.fetchmany(5000):
            writer.writerows(batch)
            count += len(batch)
    print(json.dumps({"rows": count}))


def insert_floor(floor: Floor, rows: int = 100_000) -> float:
    """Rows/s of plain ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) of customer-like
    rows into a temporary copy of the customers table (no indexes, no checks)."""
    sample = floor.rows(f"SELECT {LIST_COLUMNS} FROM customers_customer ORDER BY id LIMIT 1000")
    payload = [(index, *sample[index % len(sample)][1:]) for index in range(rows)]
    cursor = floor.connection.cursor()
    cursor.execute("DROP TABLE IF EXISTS bench_insert")
    cursor.execute(f"CREATE TEMP TABLE bench_insert AS SELECT {LIST_COLUMNS} "
                   "FROM customers_customer WHERE 1 = 0")
    began = time.perf_counter()
    if floor.kind == "sqlite":
        cursor.executemany(f"INSERT INTO bench_insert VALUES ({', '.join('?' * 10)})", payload)
        floor.connection.commit()
    else:
        with cursor.copy(f"COPY bench_insert ({LIST_COLUMNS}) FROM STDIN") as copy:
            for row in payload:
                copy.write_row(row)
    seconds = time.perf_counter() - began
    cursor.execute("DROP TABLE bench_insert")
    if floor.kind == "sqlite":
        floor.connection.commit()
    return rows / seconds


def export_floor_measured(target: Target, rows: int) -> tuple[float, float]:
    """Rows/s and peak RSS growth (MiB) of the plain-SQL streamed export, in a subprocess."""
    out = DATA / f"floor-export-{target.kind}.csv"
    script = (f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
              "from _customers_measure import export_floor; "
              f"export_floor({target.kind!r}, {target.driver_url()!r}, {str(out)!r})")
    empty_seconds, empty_mib, _ = run_measured(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                               "import _customers_measure"], {})
    seconds, mib, _stdout = run_measured([sys.executable, "-c", script], {})
    out.unlink(missing_ok=True)
    return rows / max(seconds - empty_seconds, 1e-6), mib - empty_mib
