"""Drill: PostgreSQL stopped and started again under load (issue 18, fault drills).

    .venv/bin/python bench/drills/pg_restart.py [--down 6] [--clients 4] [--seconds 40]

Serves an instance with the customers plugin on a database of its own (``crm_drill_pg``,
dropped at the end) with ``crm serve --workers 2``; ``--clients`` signed-in browsers load the
customer list in a loop while a probe asks ``/readyz`` twice a second. After a quarter of
the time the PostgreSQL cluster is stopped (``pg_ctlcluster 15 main stop -m fast``: every
connection of the app dies) and started again ``--down`` seconds later, as it ran before
(the drill reads the postmaster's command line before and after and says whether they
match). It checks that requests failed only while the server was down, that the app served
again by itself (no restart of ``crm serve``: ``pool_pre_ping`` replaces dead
connections), and that ``/readyz`` answered 503 naming the database during the outage.

The server is shared: keep ``--down`` short, and the drill starts the cluster again whatever
happens (``finally``). Prints a Markdown table. A drill, not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import (  # noqa: E402
    ADMIN_URL,
    crm,
    environment,
    free_port,
    get,
    own_database,
    sign_in,
    stamp,
    start,
    stop,
    wait_http,
)

PASSWORD = "drill-pg-Pw-24680"
CLUSTER = ("15", "main")


def postmaster() -> str | None:
    """The running postmaster's command line, or None when the cluster is down."""
    listed = subprocess.run(["pg_lsclusters", "--no-header", *CLUSTER[:1]],
                            capture_output=True, text=True).stdout
    if "online" not in listed:
        return None
    pid = Path(f"/var/lib/postgresql/{CLUSTER[0]}/{CLUSTER[1]}/postmaster.pid")
    try:
        number = pid.read_text().split()[0]
        return Path(f"/proc/{number}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except (OSError, IndexError):
        return "online"


def cluster(action: str) -> None:
    """``pg_ctlcluster 15 main ACTION`` (fast shutdown for stop)."""
    extra = ["-m", "fast"] if action == "stop" else []
    subprocess.run(["pg_ctlcluster", *CLUSTER, action, *extra], check=True, timeout=60)


def main(argv: list[str] | None = None) -> int:
    """Run the drill and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down", type=float, default=6, help="seconds PostgreSQL stays down")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--postgres-url", default=ADMIN_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args(argv)
    if args.down > 15:
        raise SystemExit("other agents share this server: --down at most 15 s")
    before = postmaster()
    if before is None:
        raise SystemExit("PostgreSQL is not running")
    results: list[tuple[float, bool, float]] = []
    answers: Counter[str] = Counter()
    ready: list[tuple[float, int, str]] = []
    server = None
    with tempfile.TemporaryDirectory() as folder, \
            own_database(args.postgres_url, "crm_drill_pg") as url:
        instance = Path(folder)
        env = environment(instance, url, args.redis_url, CRM_PLUGINS="customers",
                          CRM_ADMIN_PASSWORD=PASSWORD, CRM_TASK_QUEUE="crm_drill_pg")
        stopped_at = started_at = None
        try:
            crm(env, "db", "upgrade")
            crm(env, "users", "ensure-admin")
            crm(env, "seed", "--customers", "200")
            port = free_port()
            server = start(env, instance / "serve.log", "serve", "--port", str(port),
                           "--workers", "2")
            wait_http(port)
            cookie = sign_in(port, "admin", PASSWORD)
            lock, done = threading.Lock(), threading.Event()

            def browse() -> None:
                while not done.is_set():
                    began = time.monotonic()
                    try:
                        status = str(get(port, "/customers/", cookie)[0])
                    except OSError as exc:
                        status = type(exc).__name__
                    with lock:
                        results.append((began, status == "200", time.monotonic() - began))
                        answers[status] += 1

            def probe() -> None:
                while not done.is_set():
                    try:
                        status, body = get(port, "/readyz", timeout=10)
                        check = json.loads(body).get("checks", {}).get("database", "")
                    except (OSError, ValueError):
                        status, check = 0, "no answer"
                    ready.append((time.monotonic(), status, check))
                    time.sleep(0.5)

            threads = [threading.Thread(target=browse) for _ in range(args.clients)]
            threads.append(threading.Thread(target=probe))
            began = time.monotonic()
            for thread in threads:
                thread.start()
            time.sleep(args.seconds / 4)
            try:
                stopped_at = time.monotonic()
                cluster("stop")
                time.sleep(args.down)
            finally:
                if postmaster() is None:
                    cluster("start")
                started_at = time.monotonic()
            time.sleep(max(0.0, args.seconds - (time.monotonic() - began)))
            done.set()
            for thread in threads:
                thread.join()
        finally:
            if postmaster() is None:  # never leave the shared server down
                cluster("start")
            stop(server)
    after = postmaster()
    failed = [at for at, ok, _ in results if not ok]
    outside = [at for at in failed if at < stopped_at - 1 or at > started_at + 5]
    served_again = [at for at, ok, _ in results if ok and at > started_at]
    late = [at for at, ok, _ in results if at > started_at + 5]
    not_ready = [(at, check) for at, status, check in ready if status != 200]
    reported = [at for at, _check in not_ready if stopped_at - 1 <= at <= started_at + 5]
    print(f"#### PostgreSQL stopped for {args.down:g} s under load, {args.clients} clients, "
          f"{stamp()}\n")
    print("| figure | value |\n|---|---|")
    print(f"| requests (customer list) | {len(results)} |")
    print(f"| failed | {len(failed)}, all between the stop and 5 s after the start: "
          f"{'yes' if not outside else 'no (' + str(len(outside)) + ' outside)'} |")
    print(f"| outage (stop called → started again) | {started_at - stopped_at:.1f} s |")
    print(f"| answers | {', '.join(f'{k}: {v}' for k, v in sorted(answers.items()))} |")
    print(f"| longest request | {max(d for _, _, d in results):.1f} s |")
    print(f"| first success after the start | "
          f"{(min(served_again) - started_at) if served_again else float('nan'):.1f} s |")
    settled = sum(ok for at, ok, _ in results if at > started_at + 5)
    print(f"| succeeded from 5 s after the start on | {settled} of {len(late)} |")
    print(f"| /readyz 503 during the outage | {len(reported)} of "
          f"{sum(1 for at, _s, _c in ready if stopped_at <= at <= started_at)} probes; "
          f"e.g. `{not_ready[0][1][:80] if not_ready else '-'}` |")
    print(f"| /readyz 503 outside it | {len(not_ready) - len(reported)} |")
    print(f"| PostgreSQL started as before | {'yes' if after == before else 'no'} "
          f"(`{after}`) |")
    ok = not outside and late and all(ok for at, ok, _ in results if at > started_at + 5) \
        and reported and after == before
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
