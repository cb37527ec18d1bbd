"""Drill: kill -9 the Celery worker in the middle of a large import (issue 18, fault drills).

    .venv/bin/python bench/drills/kill_worker_import.py [--rows 200000] [--kill-at 0.3]

On PostgreSQL (a database of its own, ``crm_drill``, dropped at the end) and Redis (the
queue ``crm_drill`` in database 14), with the customers plugin: a CSV of ``--rows`` new
customers (``bench/_customers_build.import_csv``, Chinese headers) is imported as the
wizard does it, as a job of a ``crm worker``. When the import has committed ``--kill-at``
of the rows, the worker's whole process group gets SIGKILL (the worker, its pool process,
the import's cleaning process: what a crashed host or an OOM kill of the unit does). A new
worker starts, as systemd's ``Restart=always`` would; Redis gives the unacknowledged
message back after ``visibility_timeout`` (set to ``--visibility`` seconds here, 3600 by
default in production). The drill then waits for the job to end and compares the customers
table with the file, row by row (name and USCC, as a multiset): none lost, none twice.
Prints a Markdown table. A drill, not a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg
import redis
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _customers_build import import_csv  # noqa: E402
from _stack import (  # noqa: E402
    ADMIN_URL,
    CRM,
    ROOT,
    crm,
    environment,
    own_database,
    stamp,
    start,
    stop,
)

PASSWORD = "drill-import-Pw-2468"
QUEUE = "crm_drill"
# Queues the run step of an import of FILE for the administrator, as the wizard's last
# page does (the header is read and mapped the way the wizard guesses it); prints the ids.
ENQUEUE = """
import json, sys
from crm_core.app import create_app
from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.imports.jobs import start_import_job
from crm_core.imports.service import create_import, get_spec
from sqlalchemy import select
app = create_app()
with app.app_context():
    session = get_session()
    admin = session.scalar(select(User).where(User.username == "admin"))
    imp = create_import(session, get_spec("customers.customer"), __import__("pathlib").Path(
        sys.argv[1]), user_id=admin.id)
    imp.mode, imp.status = "insert", "checked"
    session.commit()
    job = start_import_job(imp, "run", owner_id=admin.id, locale="en")
    print(json.dumps({"import": imp.id, "job": job.id}))
"""


def _state(conninfo: str, import_id: int, job_id: int) -> dict:
    with psycopg.connect(conninfo) as connection:
        total, created, failed, status = connection.execute(
            "SELECT total, created, failed, status FROM core_import WHERE id = %s",
            (import_id,)).fetchone()
        state, error = connection.execute(
            "SELECT state, error FROM core_job WHERE id = %s", (job_id,)).fetchone()
        customers = connection.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
    return {"total": total, "created": created, "failed": failed, "status": status,
            "job": state, "error": error, "customers": customers}


def _compare(conninfo: str, path: Path) -> tuple[int, int, int]:
    """(rows in the file, rows lost, rows written more often than the file has them)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        name, uscc = header.index("客户名称"), header.index("统一社会信用代码")
        wanted = Counter((row[name].strip(), row[uscc].strip() or None) for row in reader)
    with psycopg.connect(conninfo) as connection:
        found = Counter(connection.execute(
            "SELECT name, uscc FROM customers_customer").fetchall())
    return sum(wanted.values()), sum((wanted - found).values()), sum((found - wanted).values())


def main(argv: list[str] | None = None) -> int:
    """Run the drill and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--kill-at", type=float, default=0.3,
                        help="kill when this share of the rows is committed")
    parser.add_argument("--visibility", type=int, default=20,
                        help="Redis visibility_timeout of the drill's worker, seconds")
    parser.add_argument("--postgres-url", default=ADMIN_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args(argv)
    path = import_csv(args.rows, 2026)
    began = time.monotonic()
    worker = None
    with tempfile.TemporaryDirectory() as folder, \
            own_database(args.postgres_url, "crm_drill") as url:
        instance = Path(folder)
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        env = environment(instance, url, args.redis_url, CRM_PLUGINS="customers",
                          CRM_ADMIN_PASSWORD=PASSWORD, CRM_TASK_QUEUE=QUEUE,
                          CRM_BROKER_TRANSPORT_OPTIONS=json.dumps(
                              {"visibility_timeout": args.visibility}))
        log = instance / "worker.log"
        try:
            crm(env, "db", "upgrade")
            crm(env, "users", "ensure-admin")
            ids = json.loads(subprocess.run(
                [sys.executable, "-c", ENQUEUE, str(path)], env=env, check=True,
                capture_output=True, text=True, cwd=ROOT).stdout.strip().splitlines()[-1])
            worker = start(env, log, "worker", "--concurrency=1")
            started = time.monotonic()
            while (now := _state(conninfo, ids["import"], ids["job"]))["total"] \
                    < args.rows * args.kill_at:
                if now["job"] in ("done", "failed") or time.monotonic() - began > args.timeout:
                    raise SystemExit(f"the import ended before the kill: {now}")
                time.sleep(0.2)
            stop(worker, 9)  # SIGKILL to the group: worker, pool process, cleaning process
            killed_at = time.monotonic()
            at_kill = _state(conninfo, ids["import"], ids["job"])
            time.sleep(2)
            after_kill = _state(conninfo, ids["import"], ids["job"])
            worker = start(env, log, "worker", "--concurrency=1")
            while (end := _state(conninfo, ids["import"], ids["job"]))["job"] not in (
                    "done", "failed"):
                if time.monotonic() - began > args.timeout:
                    raise SystemExit(f"the job did not end in {args.timeout:g} s: {end}")
                time.sleep(1)
            finished_at = time.monotonic()
            rows, lost, twice = _compare(conninfo, path)
        finally:
            stop(worker)
            _forget_queue(args.redis_url)
        resumed = "resumed" in log.read_text() or "running it again" in log.read_text()
    print(f"#### kill -9 of the worker during a {args.rows:,}-row import, PostgreSQL 15 + "
          f"Redis 7, {stamp()}\n")
    print("| figure | value |\n|---|---|")
    print(f"| rows in the file | {rows:,} |")
    print(f"| committed when killed (import's count / customers table) | "
          f"{at_kill['total']:,} / {at_kill['customers']:,}, after {killed_at - started:.0f} s |")
    print(f"| customers 2 s after the kill (nothing half-written) | {after_kill['customers']:,} |")
    print(f"| job after the kill, then at the end | {at_kill['job']} → {end['job']}"
          f"{' (' + end['error'] + ')' if end['error'] else ''} |")
    print(f"| taken over by the new worker (log) | {'yes' if resumed else 'no'} |")
    print(f"| import's counts at the end | {end['total']:,} rows, {end['created']:,} created, "
          f"{end['failed']:,} failed |")
    print(f"| from the kill to the end | {finished_at - killed_at:.0f} s (visibility timeout "
          f"{args.visibility} s) |")
    print(f"| customers in the table | {end['customers']:,} |")
    print(f"| file rows missing from the table | {lost:,} |")
    print(f"| rows in the table more often than in the file | {twice:,} |")
    ok = end["job"] == "done" and lost == 0 and twice == 0 or (
        end["job"] == "failed" and twice == 0)
    return 0 if ok else 1


def _forget_queue(url: str) -> None:
    """Remove the drill's queue and bindings from Redis (its database only)."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        for key in client.scan_iter(f"*{QUEUE}*"):
            client.delete(key)
    except redis.RedisError:
        pass


if __name__ == "__main__":
    assert CRM
    raise SystemExit(main())
