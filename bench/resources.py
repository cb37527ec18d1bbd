"""The Resource benchmark (issue 10): the example plugin's notes (a kernel Resource, no list
code of its own) beside the customers plugin's hand-written list, the same number of rows of
each in one database, measured in one run, each pair in turn.

    .venv/bin/python bench/resources.py [--rows 1000000] [--runs 20] [--reuse]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_resources]

Builds the data set once (``bench/_resources_build.py``: ``crm seed``'s fast path for the
customers, Core inserts for the notes; SQLite under ``bench/.data``, or the PostgreSQL
database of ``--database-url``, which it creates and owns). Then, server side through
Flask's test client, p50 / p95 in ms over ``--runs`` runs after 2 warm-ups: the API and
HTML list, first page and a page 90 % deep by cursor, as the administrator (every row) and as
a sales rep (``sales00``: own notes, a department's customers), and the notes filtered +
sorted and counted; with the SQL statements of one request (sign-in and permission look-ups
included) and the ratio notes / customers of the p95. Targets: API ≤ 20 ms p95, HTML ≤ 50 ms,
the Resource within 1.5x of the customers list. Writes the figures as JSON beside the data.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _resources_build import DATA, REP, build, database_url  # noqa: E402

#: Flask-AppBuilder's ModelView at a million rows, measured earlier on this machine (issue 10)
FAB = "Flask-AppBuilder ModelView, 1M rows: 47 ms first page, 86 ms deep, 24 requests/s"


def measure(client: Any, url: str, runs: int, engine: Any) -> dict[str, Any]:
    """p50 and p95 in ms of GET ``url``, and the statements one request ran."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    for _ in range(2):
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
    samples = []
    event.listen(engine, "before_cursor_execute", record)
    for run in range(runs):
        if run == 1:
            event.remove(engine, "before_cursor_execute", record)
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50": statistics.median(samples), "p95": samples[int(0.95 * (len(samples) - 1))],
            "statements": len(statements)}


def floor(engine: Any, before: int | None, runs: int) -> float:
    """p95 in ms of the notes' 51-row keyset page as plain SQL on the same database."""
    from sqlalchemy import text

    sql = text("SELECT * FROM example_note WHERE deleted_at IS NULL AND id < :before "
               "ORDER BY id DESC LIMIT 51")
    samples = []
    with engine.connect() as connection:
        for _ in range(runs + 2):
            started = time.perf_counter()
            connection.execute(sql, {"before": before or 2**31 - 1}).fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    samples = sorted(samples[2:])
    return samples[int(0.95 * (len(samples) - 1))]


def cursors(app: Any, rows: int) -> dict[str, Any]:
    """Cursors 90 % deep into each list (customers by ``(updated_at, id)``, notes by id)."""
    from sqlalchemy import select

    from crm_core.api.pagination import encode_cursor
    from crm_core.db import get_session
    from plugins.customers.models import Customer

    deep = int(rows * 0.9)
    with app.app_context():
        found = get_session().execute(
            select(Customer.updated_at, Customer.id).where(Customer.deleted_at.is_(None))
            .order_by(Customer.updated_at.desc(), Customer.id.desc())
            .offset(deep).limit(1)).one()
    note_id = rows - deep  # ids count down from the newest
    return {"customers": encode_cursor([found.updated_at, found.id]),
            "notes": encode_cursor([note_id]), "note_id": note_id}


def pairs(deep: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """(figure, customers URL, notes URL, target ms) of the side-by-side figures."""
    c, n = deep["customers"], deep["notes"]
    return [("API list, first page", "/api/v1/customers?limit=50",
             "/api/v1/example/notes?limit=50", 20),
            ("API list, 90 % deep", f"/api/v1/customers?limit=50&cursor={c}",
             f"/api/v1/example/notes?limit=50&cursor={n}", 20),
            ("HTML list, first page", "/customers/", "/example/notes", 50),
            ("HTML list, 90 % deep", f"/customers/?cursor={c}", f"/example/notes?cursor={n}",
             50)]


NOTES_ONLY = [("API list, filtered + sorted (notes)",
               "/api/v1/example/notes?status=open&priority_min=3&sort=-priority", 20),
              ("HTML list, filtered + sorted (notes)",
               "/example/notes?status=open&priority_min=3&sort=-priority", 50),
              ("count, bounded (notes)", "/example/notes/count", 50)]


def run(app: Any, rows: int, runs: int) -> list[dict[str, Any]]:
    """Every figure, the customers and the notes of a pair measured one after the other."""
    from sqlalchemy import select

    from crm_core.auth.models import User
    from crm_core.db import get_session
    from crm_core.testing import login

    engine = app.extensions["crm_db"].engine
    with app.app_context():
        users = {user.username: user for user in get_session().scalars(
            select(User).where(User.username.in_(["bench-admin", REP])))}
        for user in users.values():
            get_session().expunge(user)
    deep = cursors(app, rows)
    figures = []
    for who, name in (("admin", "bench-admin"), ("rep", REP)):
        client = login(app.test_client(), users[name])
        for label, customers_url, notes_url, target in pairs(deep):
            customers = measure(client, customers_url, runs, engine)
            notes = measure(client, notes_url, runs, engine)
            before = deep["note_id"] if "deep" in label else None
            figures.append({"figure": f"{label} ({who})", "target": target,
                            "customers": customers, "notes": notes,
                            "ratio": notes["p95"] / customers["p95"],
                            "floor_p95": floor(engine, before, runs)})
            print(f"  {figures[-1]['figure']}: customers {customers['p95']:.1f}, notes "
                  f"{notes['p95']:.1f} ms p95", file=sys.stderr, flush=True)
        for label, url, target in NOTES_ONLY:
            figures.append({"figure": f"{label} ({who})", "target": target,
                            "notes": measure(client, url, runs, engine)})
    return figures


def _cell(figure: dict[str, Any] | None) -> str:
    if figure is None:
        return "–"
    return f"{figure['p50']:.1f} / {figure['p95']:.1f} ({figure['statements']})"


def table(figures: list[dict[str, Any]]) -> list[str]:
    """The Markdown table of ``figures``."""
    rows = [("figure", "customers list p50 / p95 ms (statements)",
             "notes Resource p50 / p95 ms (statements)", "notes / customers p95", "target p95",
             "notes floor p95 ms")]
    for item in figures:
        notes = item["notes"]
        met = "" if notes["p95"] <= item["target"] else ": missed"
        rows.append((item["figure"], _cell(item.get("customers")), _cell(notes),
                     f"{item['ratio']:.2f}x" if "ratio" in item else "–",
                     f"≤ {item['target']}{met}",
                     f"{item['floor_p95']:.2f}" if "floor_p95" in item else "–"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                     + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", "--notes", type=int, default=1_000_000,
                        help="customers, and notes, in the data set (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep and reuse the data set")
    parser.add_argument("--database-url", help="a PostgreSQL database the benchmark owns "
                        "(default: a SQLite file under bench/.data)")
    args = parser.parse_args(argv)
    url = database_url(args.database_url, args.rows)
    app, built = build(url, args.rows, args.reuse)
    logging.getLogger("crm.access").setLevel(logging.WARNING)  # a line per request: noise here
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    figures = run(app, args.rows, args.runs)
    kind = app.extensions["crm_db"].engine.dialect.name
    print(f"\n{args.rows:,} customers and {args.rows:,} notes, {kind}, {args.runs} runs, "
          f"started {started}\n")
    print("\n".join(table(figures)))
    print(f"\n{FAB}")
    (DATA / f"resources-results-{kind}-{args.rows}.json").write_text(json.dumps(
        {"started": started, "built": built, "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
