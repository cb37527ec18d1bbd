"""Drill: Redis stopped, then started again with the same settings (issue 18, fault drills).

    .venv/bin/python bench/drills/redis_down.py [--down 10] [--clients 3]

An instance with the customers plugin on PostgreSQL (a database of its own,
``crm_drill_redis``, dropped at the end) whose broker and rate-limit counters are in Redis
(database 14, queue ``crm_drill_redis``): ``crm serve --workers 2`` and ``crm beat``, no
worker yet. Then:

1. an export job is queued through the web page while Redis is up (its message waits in
   Redis, which keeps nothing on disk here: the restart loses it);
2. Redis is shut down (``SHUTDOWN NOSAVE``) for ``--down`` seconds, while ``--clients``
   signed-in clients call ``/api/v1/me`` in a loop (every call passes the rate limiter) and
   a second export is queued through the page;
3. Redis is started again with the settings it ran with (read with ``CONFIG GET *``
   before: the same port, bind, log file, pid file, folder, no persistence; any setting that
   still differs is set back with ``CONFIG SET`` and named);
4. a worker starts, and the drill waits for both exports to be done: the beat's
   ``jobs_resend`` (every minute) sends the job that waited and the one Redis lost
   (``CRM_JOB_RESEND_MINUTES`` is 0.5 here, 5 by default).

It checks that no API call failed (the limiter fails open), that the serve log has the
limiter's warning, that the export page answered during the outage, and that both jobs
ended done. Redis is shared: keep ``--down`` short; it is started again whatever happens.
Prints a Markdown table. A drill, not a test.
"""

from __future__ import annotations

import argparse
import http.client
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import redis
from sqlalchemy.engine import make_url

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

PASSWORD = "drill-redis-Pw-2468"
QUEUE = "crm_drill_redis"
SERVER = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2)
# the settings that start the server as it ran (the rest are checked and set back)
ARGUMENTS = ("port", "bind", "daemonize", "logfile", "pidfile", "dir", "save", "appendonly",
             "protected-mode")
VOLATILE = {"unixsocket", "unixsocketperm"}  # read-only when empty, nothing to set back


def settings() -> dict[str, str]:
    """Every setting of the running Redis (``CONFIG GET *``)."""
    pairs = SERVER.config_get("*")
    return {key: str(value) for key, value in pairs.items()}


def start_redis(before: dict[str, str]) -> list[str]:
    """Start Redis as it ran; the settings that differed and were set back."""
    argv = ["redis-server"]
    for name in ARGUMENTS:
        argv += [f"--{name}", *before[name].split()] if name == "bind" else \
            [f"--{name}", before[name]]
    subprocess.run(argv, check=True, timeout=30, cwd=before["dir"])
    deadline = time.monotonic() + 20
    while True:
        try:
            SERVER.ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    changed = []
    for name, value in settings().items():
        if name in before and before[name] != value and name not in VOLATILE:
            try:
                SERVER.config_set(name, before[name])
                changed.append(name)
            except redis.RedisError:
                changed.append(f"{name} (not settable: {value!r} instead of {before[name]!r})")
    return changed


def running() -> bool:
    try:
        return bool(SERVER.ping())
    except redis.RedisError:
        return False


def export(port: int, cookie: str) -> tuple[int, int | None]:
    """Queue an export of the customers through the page: (status, job id)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/imports/customers.customer/", headers={"Cookie": cookie})
    response = connection.getresponse()
    page = response.read()
    cookie = (response.getheader("Set-Cookie") or cookie).split(";", 1)[0]
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1)
    connection.request("POST", "/imports/customers.customer/export",
                       body=b"format=csv&csrf_token=" + token, headers={
                           "Cookie": cookie,
                           "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    found = re.search(r"/jobs/(\d+)", response.getheader("Location") or "")
    return response.status, int(found.group(1)) if found else None


def main(argv: list[str] | None = None) -> int:
    """Run the drill and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down", type=float, default=10, help="seconds Redis stays down")
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--postgres-url", default=ADMIN_URL)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)
    if args.down > 15:
        raise SystemExit("other agents share this server: --down at most 15 s")
    before = settings()
    if before.get("save") or before.get("appendonly") != "no":
        raise SystemExit("this Redis persists: the drill is written for one that does not")
    broker = "redis://127.0.0.1:6379/14"
    calls: list[tuple[float, str, float]] = []
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as folder, \
            own_database(args.postgres_url, "crm_drill_redis") as url:
        instance = Path(folder)
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        env = environment(instance, url, broker, CRM_PLUGINS="customers",
                          CRM_ADMIN_PASSWORD=PASSWORD, CRM_TASK_QUEUE=QUEUE,
                          CRM_RATELIMIT_STORAGE_URL=broker, CRM_JOB_RESEND_MINUTES="0.5")
        changed: list[str] = []
        try:
            crm(env, "db", "upgrade")
            crm(env, "users", "ensure-admin")
            crm(env, "seed", "--customers", "100")
            port = free_port()
            processes.append(start(env, instance / "serve.log", "serve", "--port", str(port),
                                   "--workers", "2"))
            processes.append(start(env, instance / "beat.log", "beat"))
            wait_http(port)
            cookie = sign_in(port, "admin", PASSWORD)
            first = export(port, cookie)
            lock, done = threading.Lock(), threading.Event()

            def call() -> None:
                while not done.is_set():
                    began = time.monotonic()
                    try:
                        status = str(get(port, "/api/v1/me", cookie)[0])
                    except OSError as exc:
                        status = type(exc).__name__
                    with lock:
                        calls.append((began, status, time.monotonic() - began))
                    time.sleep(0.05)

            threads = [threading.Thread(target=call) for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            time.sleep(3)
            try:
                stopped_at = time.monotonic()
                try:
                    SERVER.shutdown(nosave=True)
                except redis.ConnectionError:
                    pass  # the server closes the connection as it goes
                time.sleep(1)
                second_began = time.monotonic()
                second = export(port, cookie)
                second_seconds = time.monotonic() - second_began
                ready_began = time.monotonic()
                ready = get(port, "/readyz")
                ready_seconds = time.monotonic() - ready_began
                time.sleep(max(0.0, args.down - (time.monotonic() - stopped_at)))
            finally:
                restart_began = time.monotonic()
                if not running():
                    changed = start_redis(before)
                started_at = time.monotonic()
            time.sleep(3)
            done.set()
            for thread in threads:
                thread.join()
            processes.append(start(env, instance / "worker.log", "worker", "--concurrency=1"))
            jobs = [job for job in (first[1], second[1]) if job]
            while True:
                with psycopg.connect(conninfo) as connection:
                    states = dict(connection.execute(
                        "SELECT id, state FROM core_job WHERE id = ANY(%s)", (jobs,)).fetchall())
                if all(states.get(job) in ("done", "failed") for job in jobs) or \
                        time.monotonic() - started_at > args.timeout:
                    break
                time.sleep(1)
            finished_at = time.monotonic()
            beat_alive = processes[1].poll() is None
        finally:
            if not running():  # never leave the shared server down
                changed = start_redis(before)
            for process in reversed(processes):
                stop(process)
            for key in SERVER.scan_iter(f"*{QUEUE}*"):
                SERVER.delete(key)
        serve_log = (instance / "serve.log").read_text()
        beat_log = (instance / "beat.log").read_text()
    after = settings()
    differ = sorted(name for name in before if after.get(name) != before[name]
                    and name not in VOLATILE)
    during = [c for c in calls if stopped_at <= c[0] <= started_at]
    answers = Counter(status for _, status, _ in calls)
    warned = serve_log.count("rate limit storage failed")
    print(f"#### Redis stopped for {started_at - stopped_at:.0f} s, {args.clients} API clients, "
          f"{stamp()}\n")
    print("| figure | value |\n|---|---|")
    print(f"| API calls (`/api/v1/me`, rate-limited) | {len(calls)}, {len(during)} while Redis "
          f"was down |")
    print(f"| answers | {', '.join(f'{k}: {v}' for k, v in sorted(answers.items()))} |")
    print(f"| slowest call while down | {max((d for _, _, d in during), default=0):.2f} s |")
    print(f"| limiter warnings in the serve log | {warned} |")
    print(f"| `/readyz` while down | {ready[0]} in {ready_seconds:.1f} s |")
    print(f"| Redis start and settings check | {started_at - restart_began:.1f} s |")
    print(f"| export queued while up, then while down (page answer) | {first[0]}, "
          f"{second[0]} in {second_seconds:.1f} s |")
    print(f"| both jobs at the end | {', '.join(f'{j}: {states.get(j)}' for j in jobs)}, "
          f"{finished_at - started_at:.0f} s after Redis was back |")
    print(f"| beat still running after the outage | {'yes' if beat_alive else 'no'}; "
          f"{beat_log.count('Traceback')} tracebacks in its log |")
    print(f"| Redis settings set back / still different | {', '.join(changed) or 'none'} / "
          f"{', '.join(differ) or 'none'} |")
    ok = set(answers) == {"200"} and warned and second[0] == 302 and len(jobs) == 2 and \
        all(states.get(job) == "done" for job in jobs) and not differ
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
