"""Run the locust load test (issue 18, item 4) against ``crm serve --workers 4`` on
PostgreSQL and Redis, and print the figures as Markdown.

    make bench                                   # installs locust (the `bench` extra)
    .venv/bin/python bench/locust/run.py [--users 200] [--minutes 3] [--reuse]

1. **Instance.** A database of its own, ``crm_locust`` on the server of ``--postgres-url``
   (made again unless ``--reuse`` finds it built), every plugin, Redis database 15 as broker
   and rate-limit store; the instance folder is ``bench/.data/locust-instance``. Users: 20
   sales reps who are service agents too (``rep00``…``rep19``) and 4 managers
   (``mgr00``…``mgr03``), then ``crm seed --customers N --size M`` (the demo data of every
   plugin, shared among those users).
2. **Server.** ``crm serve --workers 4`` on a free port of 127.0.0.1 with
   ``CRM_LOG_LEVEL=WARNING`` (no access-log line per request); no Celery worker (nothing in
   the scenario waits for one).
3. **Load.** ``locust --headless -u USERS -r RATE -t MINUTES`` with
   ``bench/locust/locustfile.py`` (the task mix is in its docstring), CSV stats in
   ``bench/.data/locust/``. The locust users sign in as the 24 accounts in turn.
4. **Figures.** Per request kind: count, failures, p50, p95, p99, max (locust's CSV); the
   load average before and after; the CPU seconds the gunicorn workers, PostgreSQL and
   locust spent during the run (from ``/proc``), to tell a CPU-bound run from a slow one.

Stops the server at the end; the database is kept with ``--reuse`` (else dropped).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "drills"))

import psycopg  # noqa: E402
from _stack import (  # noqa: E402
    ADMIN_URL,
    ROOT,
    _admin,
    crm,
    environment,
    free_port,
    stamp,
    start,
    stop,
    wait_http,
)
from sqlalchemy.engine import make_url  # noqa: E402

DATA = ROOT / "bench" / ".data"
PASSWORD = "Locust-Load-Pw-2468"
ACCOUNTS = [f"rep{n:02d}" for n in range(20)] + [f"mgr{n:02d}" for n in range(4)]
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(words: tuple[str, ...]) -> dict[str, float]:
    """CPU seconds so far of the processes whose command line holds one of ``words``."""
    spent = dict.fromkeys(words, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        for word in words:
            if word in command:
                spent[word] += (int(fields[11]) + int(fields[12])) / TICKS
                break
    return spent


def _build(env: dict[str, str], customers: int, size: int) -> None:
    crm(env, "db", "upgrade")
    crm(env, "users", "ensure-admin")
    for name in ACCOUNTS:
        roles = ["--role", "manager"] if name.startswith("mgr") else \
            ["--role", "sales", "--role", "service"]
        crm(env, "users", "create", name, "--password", PASSWORD, *roles)
    crm(env, "seed", "--customers", str(customers), "--size", str(size))
    conninfo = make_url(env["CRM_DATABASE_URL"]).set(drivername="postgresql")
    with psycopg.connect(conninfo.render_as_string(hide_password=False),
                         autocommit=True) as connection:
        connection.execute("ANALYZE")


def _database(admin_url: str, reuse: bool) -> tuple[str, bool]:
    """The URL of ``crm_locust`` and whether it must be built."""
    url = make_url(admin_url).set(database="crm_locust").render_as_string(hide_password=False)
    with _admin(admin_url) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'crm_locust'").fetchone()
        if exists and reuse and (DATA / "locust-instance" / ".built").exists():
            return url, False
        connection.execute('DROP DATABASE IF EXISTS "crm_locust" WITH (FORCE)')
        connection.execute('CREATE DATABASE "crm_locust"')
    return url, True


def main(argv: list[str] | None = None) -> int:
    """Build, serve, load, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10, help="users started a second")
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--size", type=int, default=100,
                        help="records of every other plugin (crm seed --size)")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--postgres-url", default=ADMIN_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args(argv)
    locust = Path(sys.executable).with_name("locust")
    if not locust.exists():
        raise SystemExit("locust is not installed: run `make bench`")
    instance = DATA / "locust-instance"
    url, build = _database(args.postgres_url, args.reuse)
    if build:
        shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True, exist_ok=True)
    env = environment(instance, url, args.redis_url, CRM_ADMIN_PASSWORD=PASSWORD,
                      CRM_RATELIMIT_STORAGE_URL=args.redis_url,
                      CRM_TASK_QUEUE="crm_locust")
    if build:
        began = time.monotonic()
        _build(env, args.customers, args.size)
        (instance / ".built").write_text(f"{time.monotonic() - began:.0f} s\n")
    out = DATA / "locust"
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start(env, instance / "serve.log", "serve", "--port", str(port),
                   "--workers", str(args.workers))
    try:
        wait_http(port)
        load_before, cpu_before = os.getloadavg(), _cpu_seconds(("gunicorn", "postgres:"))
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.monotonic()
        subprocess.run(
            [str(locust), "-f", str(ROOT / "bench" / "locust" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.rate), "-t", f"{args.minutes * 60:.0f}s",
             "--host", f"http://127.0.0.1:{port}", "--csv", str(out / "run"),
             "--only-summary", "--stop-timeout", "10"],
            env={**os.environ, "LOCUST_USERS": ",".join(ACCOUNTS),
                 "LOCUST_PASSWORD": PASSWORD}, check=False, cwd=ROOT)
        seconds = time.monotonic() - began
        cpu_after, load_after = _cpu_seconds(("gunicorn", "postgres:")), os.getloadavg()
        spent = resource.getrusage(resource.RUSAGE_CHILDREN)  # locust, which has ended
        cpu_after["locust"] = spent.ru_utime + spent.ru_stime
        cpu_before["locust"] = children.ru_utime + children.ru_stime
    finally:
        stop(server)
        if not args.reuse:
            with _admin(args.postgres_url) as connection:
                connection.execute('DROP DATABASE IF EXISTS "crm_locust" WITH (FORCE)')
    _report(out / "run_stats.csv", args, seconds, load_before, load_after,
            {k: cpu_after[k] - cpu_before[k] for k in cpu_after})
    return 0


def _report(path: Path, args: argparse.Namespace, seconds: float, before: tuple,
            after: tuple, cpu: dict[str, float]) -> None:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    print(f"#### locust, {args.users} users, {args.minutes:g} min, `crm serve --workers "
          f"{args.workers}`, PostgreSQL 15 + Redis 7, {stamp()}\n")
    print("| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "**all**"
        print(f"| {name} | {row['Request Count']} | {row['Failure Count']} | "
              f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} | "
              f"{float(row['Max Response Time']):.0f} |")
    failures = path.with_name("run_failures.csv")
    if failures.exists():
        with failures.open(newline="") as handle:
            for row in list(csv.DictReader(handle))[:8]:
                print(f"\nFailure: {row['Method']} {row['Name']}: {row['Error'][:160]} "
                      f"({row['Occurrences']} times)")
    print(f"\nLoad average before / after: {before[0]:.1f} / {after[0]:.1f}. CPU seconds "
          f"in {seconds:.0f} s of wall time (2 cores = {2 * seconds:.0f}): gunicorn workers "
          f"{cpu['gunicorn']:.0f}, PostgreSQL (all its clients) {cpu['postgres:']:.0f}, "
          f"locust {cpu['locust']:.0f}; gunicorn CPU per request "
          f"{1000 * cpu['gunicorn'] / max(1, int(rows[-1]['Request Count'])):.0f} ms.")


if __name__ == "__main__":
    raise SystemExit(main())
