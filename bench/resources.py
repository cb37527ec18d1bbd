"""The Resource benchmark: the example plugin's notes (a kernel Resource) at a million rows,
each figure beside the raw SQLite floor of the same page in the same run.

    .venv/bin/python bench/resources.py [--notes 1000000] [--runs 20] [--reuse]

Builds ``bench/.data/resources-<notes>.sqlite`` once (Core ``insert`` executemany in batches
of 10,000), then times server side through Flask's test client: the API and HTML list,
first page and a page 90 % deep (by cursor), as an administrator (all notes) and as a sales
rep (own notes), and the count request; p50 and p95 in ms after 2 warm-up runs, with the
SQL statements each request ran. Targets (issue 10): API ≤ 20 ms p95, HTML ≤ 50 ms p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path(__file__).resolve().parent / ".data"
BATCH = 10_000


def build(path: Path, notes: int, reuse: bool) -> Any:
    """The app on ``path``, with ``notes`` notes (half the admin's, half the rep's)."""
    from crm_plugin_example.models import Note
    from sqlalchemy import insert

    from crm_core.app import create_app
    from crm_core.db import get_session
    from crm_core.migrate import upgrade
    from crm_core.rbac.users import create_account
    from crm_core.testing import test_config

    fresh = not (reuse and path.exists())
    if fresh and path.exists():
        path.unlink()
    instance = DATA / "resources-instance"
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app(test_config(instance, f"sqlite:///{path}", ["example"],
                                 CRM_API_RATE_LIMIT="1000000 per minute"))
    with app.app_context():
        if fresh:
            upgrade(app)
            session = get_session()
            admin = create_account(session, "bench-admin", "Kettle-Drum-42x", superuser=True)
            rep = create_account(session, "bench-rep", "Kettle-Drum-42x", roles=["sales"])
            session.commit()
            base = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
            started = time.perf_counter()
            engine = app.extensions["crm_db"].engine
            for first in range(0, notes, BATCH):
                # Core on the engine: the bench's own data is not an operation to log
                with engine.begin() as connection:
                    connection.execute(insert(Note.__table__), [
                        {"title": f"Note {number:07d} 上海华信", "body": "", "status": "open",
                         "priority": number % 10,
                         "owner_id": rep.id if number % 2 else admin.id,
                         "created_at": base + dt.timedelta(minutes=number),
                         "updated_at": base}
                        for number in range(first, min(first + BATCH, notes))])
            print(f"built {notes:,} notes in {time.perf_counter() - started:.1f} s",
                  file=sys.stderr)
            session.connection().exec_driver_sql("ANALYZE")
            session.commit()
    return app


def measure(client: Any, url: str, runs: int, engine: Any) -> tuple[float, float, int]:
    """p50 and p95 in ms of GET ``url``, and the statements one request ran."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    for _ in range(2):
        assert client.get(url).status_code == 200, url
    samples = []
    event.listen(engine, "before_cursor_execute", record)
    for run in range(runs):
        if run == 1:
            event.remove(engine, "before_cursor_execute", record)
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return (statistics.median(samples), samples[int(0.95 * (len(samples) - 1))],
            len(statements))


def floor(path: Path, before: int | None, runs: int) -> float:
    """p95 in ms of the same 51-row keyset page in plain sqlite3."""
    connection = sqlite3.connect(path)
    sql = ("SELECT * FROM example_note WHERE deleted_at IS NULL AND id < ? "
           "ORDER BY id DESC LIMIT 51")
    samples = []
    for _ in range(runs + 2):
        started = time.perf_counter()
        connection.execute(sql, (before or 2**31,)).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    connection.close()
    samples = sorted(samples[2:])
    return samples[int(0.95 * (len(samples) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    path = DATA / f"resources-{args.notes}.sqlite"
    app = build(path, args.notes, args.reuse)
    logging.getLogger("crm.access").setLevel(logging.WARNING)  # a line per request: noise here

    from sqlalchemy import select

    from crm_core.api.pagination import encode_cursor
    from crm_core.auth.models import User
    from crm_core.db import get_session
    from crm_core.testing import login

    engine = app.extensions["crm_db"].engine
    with app.app_context():
        users = {user.username: user for user in get_session().scalars(select(User))}
        for user in users.values():
            get_session().expunge(user)
    deep = int(args.notes * 0.1)  # ids count down: 90 % of the way to the last page
    cursor = encode_cursor([deep])
    rows = [("figure", "p50 ms", "p95 ms", "statements", "target", "raw floor p95 ms")]
    for who, name in (("admin", "bench-admin"), ("rep", "bench-rep")):
        client = login(app.test_client(), users[name])
        for label, url, target, before in (
                ("API list, first page", "/api/v1/example/notes", 20, None),
                ("API list, 90 % deep", f"/api/v1/example/notes?cursor={cursor}", 20, deep),
                ("HTML list, first page", "/example/notes", 50, None),
                ("HTML list, 90 % deep", f"/example/notes?cursor={cursor}", 50, deep),
                ("API list, filtered + sorted", "/api/v1/example/notes?status=open"
                 "&priority_min=3&sort=-priority", 20, None),
                ("HTML list, filtered + sorted", "/example/notes?status=open&priority_min=3"
                 "&sort=-priority", 50, None),
                ("count (bounded)", "/example/notes/count", 50, None)):
            p50, p95, statements = measure(client, url, args.runs, engine)
            rows.append((f"{label} ({who})", f"{p50:.1f}", f"{p95:.1f}", str(statements),
                         f"≤ {target}", f"{floor(path, before, args.runs):.2f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"\n{args.notes:,} notes, SQLite, {args.runs} runs\n")
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        print("| " + " | ".join(cells) + " |")
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
