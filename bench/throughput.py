"""Throughput of the customers API list page: requests per second on ``crm serve`` (gunicorn,
two workers by default) under ``wrk``, with token auth and the data scope, first and deep
pages, on the data set ``bench/customers.py`` built.

    .venv/bin/python bench/throughput.py [--database sqlite|postgres] [--customers 1000000]
        [--workers 2] [--duration 20] [--connections 8]

It serves on 127.0.0.1 only, runs one ``wrk`` per scenario (a Lua script sends the
``Authorization`` header and walks the pages by their cursors), stops the server when done
(or on Ctrl-C) and prints a Markdown table: requests/s, latency p50/p99, non-200 answers, and
the CPU the workers, ``wrk`` and the database server spent per request (so a run on a busy
machine can be read). Writes JSON to ``bench/.data/throughput-<database>-<customers>.json``.
``wrk`` is a Debian/Ubuntu package (``sudo apt-get install -y wrk``; macOS: ``brew install
wrk``): a load generator written in Python would take the CPU the workers need. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _customers_build import DATA, Target, make_app, target  # noqa: E402
from _throughput_proc import (  # noqa: E402
    all_pids,
    connections_per_worker,
    cpu_between,
    cpu_seconds,
    database_pids,
    parent_of,
)

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CRM = str(Path(sys.executable).with_name("crm"))
TARGET_RPS = 750
FLOOR_LABEL = "floor: the page's SQL in a bare WSGI app (no framework, sign-in or scope)"


def serve_threads() -> int:
    """``crm serve``'s default threads per worker (the floor's server uses the same)."""
    from crm_core.cli import serve

    return next(int(option.default) for option in serve.params if option.name == "threads")

# Each wrk connection walks the list: the first page, then pages by their next_cursor, back
# to the first page after ``PAGES`` pages; or it asks one fixed URL over and over.
LUA = r"""
local token = os.getenv("CRM_BENCH_TOKEN")
local first = os.getenv("CRM_BENCH_PATH")
local walk = os.getenv("CRM_BENCH_WALK") == "1"
local pages = tonumber(os.getenv("CRM_BENCH_PAGES") or "10")
local path, done = first, 0
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"
request = function() return wrk.format("GET", path) end
if walk then
  response = function(status, headers, body)
    local cursor = status == 200 and body:match('"next_cursor":%s*"([^"]+)"')
    done = done + 1
    if cursor and done < pages then
      path = first .. "&cursor=" .. cursor
    else
      path, done = first, 0
    end
  end
end
"""


def need_wrk() -> str:
    """The path of ``wrk``; exits with how to get it when it is missing."""
    found = shutil.which("wrk")
    if found is None:
        sys.exit("bench/throughput.py needs wrk (an HTTP load generator in C): "
                 "`sudo apt-get install -y wrk` on Debian/Ubuntu, `brew install wrk` on macOS.")
    return found


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tokens_and_cursor(target_: Target) -> dict[str, Any]:
    """API tokens of the benchmark's administrator and of ``sales00`` (a sales rep: the
    built-in sales role sees its own customers, a twentieth of them), and a cursor 99 % deep
    into the list."""
    from sqlalchemy import func, select

    from crm_core.api.pagination import encode_cursor
    from crm_core.api.tokens import create_token
    from crm_core.auth.models import User
    from plugins.customers.models import Customer

    app = make_app(target_)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found: dict[str, Any] = {}
        for who, name in (("admin", "bench-admin"), ("rep", "sales00")):
            user = session.scalars(select(User).where(User.username == name)).one()
            found[who] = create_token(session, user, "bench/throughput.py")[1]
        total = session.scalar(select(func.count(Customer.id)))
        deep = session.execute(select(Customer.updated_at, Customer.id)
                               .order_by(Customer.updated_at.desc(), Customer.id.desc())
                               .offset(int(total * 0.99)).limit(1)).one()
        found["cursor"], found["total"] = encode_cursor([deep.updated_at, deep.id]), total
        session.commit()
        session.close()
    app.extensions["crm_db"].engine.dispose()
    return found


def revoke(target_: Target, plain_tokens: list[str]) -> None:
    """Revoke the run's tokens (they stay listed, revoked, like any other)."""
    from crm_core.api.tokens import find_active_token, revoke_token

    app = make_app(target_)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        for plain in plain_tokens:
            token = find_active_token(session, plain)
            if token is not None:
                revoke_token(session, token.id)
        session.commit()
        session.close()
    app.extensions["crm_db"].engine.dispose()


class Server:
    """A gunicorn server (``crm serve``, or the floor's bare app) in its own process group,
    stopped on leaving."""

    def __init__(self, command: list[str], environment: dict[str, str], port: int,
                 log: Path) -> None:
        self.port, self.log = port, log
        self.handle = log.open("w")
        self.process = subprocess.Popen(command, env={**os.environ, **environment},
                                        stdout=self.handle, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    @classmethod
    def crm(cls, target_: Target, port: int, workers: int, limiter: str, log: Path,
            threads: int | None = None) -> Server:
        """``crm serve`` on the target's database."""
        environment = {**target_.environment(),
                       # every request still passes the limiter, which must not refuse the
                       # benchmark's one token per scenario (the default budget is 600/min)
                       "CRM_API_RATE_LIMIT": "100000000 per minute",
                       "CRM_RATELIMIT_STORAGE_URL": limiter,
                       "CRM_RATELIMIT_KEY_PREFIX": "crm-bench-throughput"}
        return cls([CRM, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
                    str(workers), *(["--threads", str(threads)] if threads else [])],
                   environment, port, log)

    @classmethod
    def floor(cls, target_: Target, port: int, workers: int, log: Path,
              threads: int | None = None) -> Server:
        """The floor's bare WSGI app (``_throughput_floor``) under gunicorn, with the
        worker settings ``crm serve`` passes."""
        return cls([sys.executable, "-m", "gunicorn", "--chdir", str(Path(__file__).parent),
                    "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                    "--worker-class", "gthread", "--threads", str(threads or serve_threads()),
                    "--keep-alive", "5", "--reuse-port", "_throughput_floor:app"],
                   {"CRM_FLOOR_DATABASE": target_.driver_url() if target_.kind == "sqlite"
                    else target_.url.replace("postgresql+psycopg://", "postgresql://")},
                   port, log)

    def wait_ready(self, path: str, token: str = "", timeout: float = 120) -> None:
        """Until ``path`` answers 200 (the workers are up and the app loaded)."""
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                         headers=headers)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}); see "
                                   f"{self.log}")
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s; see {self.log}")

    def workers(self) -> list[int]:
        """The gunicorn processes (the arbiter and its workers)."""
        found = [self.process.pid]
        for pid in all_pids():
            if parent_of(pid) == self.process.pid:
                found.append(pid)
        return found

    def stop(self) -> None:
        """SIGTERM to the server's process group; SIGKILL after 20 s."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        self.handle.close()


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles (ms), requests and non-2xx/3xx answers and socket
    errors from wrk's ``--latency`` report."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    latency = {f"p{label}": _ms(value) for label, value in
               re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.MULTILINE)}
    return {"rps": float(rate.group(1)) if rate else 0.0,
            "requests": int(total.group(1)) if total else 0,
            "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1).strip() if errors else "", **latency}


def run_wrk(wrk: str, script: Path, port: int, token: str, path: str, walk: bool,
            args: argparse.Namespace, cpu_of: Callable[[], list[int]],
            workers: list[int]) -> dict[str, Any]:
    """One wrk run; its figures, the CPU seconds of the processes ``cpu_of()`` names and of
    wrk, and how wrk's connections and the CPU were shared among the ``workers``."""
    environment = {**os.environ, "CRM_BENCH_TOKEN": token, "CRM_BENCH_PATH": path,
                   "CRM_BENCH_WALK": "1" if walk else "0", "CRM_BENCH_PAGES": str(args.pages)}
    before, children = cpu_seconds(cpu_of()), os.times()
    began = time.perf_counter()
    running = subprocess.Popen(
        [wrk, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
         "--timeout", "10s", "--latency", "-s", str(script), f"http://127.0.0.1:{port}"],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(args.duration / 2)
    held = connections_per_worker(port, workers)
    try:
        stdout, stderr = running.communicate(timeout=args.duration + 60)
    except subprocess.TimeoutExpired:
        running.kill()
        stdout, stderr = running.communicate()
    wall = time.perf_counter() - began
    after = cpu_seconds(cpu_of())
    spent = cpu_between(before, after)
    figures = parse_wrk(stdout)
    usage = os.times()
    wrk_cpu = (usage.children_user + usage.children_system
               - children.children_user - children.children_system)
    figures.update(wall_s=round(wall, 1), server_cpu_s=round(spent, 2),
                   wrk_cpu_s=round(wrk_cpu, 2), connections_per_worker=held,
                   cpu_per_worker_s=[round(after.get(pid, 0) - before.get(pid, 0), 2)
                                     for pid in workers],
                   raw=stdout[-2000:] + stderr[-500:])
    return figures


def scenarios(found: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(label, token, path, walk by cursor) of each run."""
    first = "/api/v1/customers?limit=50"
    deep = f"{first}&cursor={found['cursor']}"
    return [
        ("first page, administrator", found["admin"], first, False),
        ("first page, rep (own customers)", found["rep"], first, False),
        ("99 % deep page, administrator", found["admin"], deep, False),
        ("99 % deep page, rep (own customers)", found["rep"], deep, False),
        ("walk by cursor (pages 1-10), rep", found["rep"], first, True),
    ]


def table(kind: str, customers: int, workers: int, results: list[dict[str, Any]]) -> str:
    """The Markdown table of a run; each scenario's rate also as a share of the floor's."""
    floor = next((result["rps"] for result in results if result["label"] == FLOOR_LABEL), 0)
    lines = [f"#### {kind}, {customers:,} customers, {workers} gunicorn workers", "",
             "| scenario | requests/s | of the floor | latency p50 / p99 | non-200 "
             "| server CPU ms / request | connections per worker | target | met? |",
             "|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        per_request = (1000 * result["server_cpu_s"] / result["requests"]
                       if result["requests"] else 0.0)
        bad = result["non_2xx"] + (1 if result["socket_errors"] else 0)
        is_floor = result["label"] == FLOOR_LABEL
        met = "–" if is_floor else "yes" if result["rps"] >= TARGET_RPS and not bad else "no"
        share = f"{100 * result['rps'] / floor:.0f} %" if floor and not is_floor else "–"
        errors = f" + {result['socket_errors']}" if result["socket_errors"] else ""
        lines.append(f"| {result['label']} | {result['rps']:,.0f} | {share} | "
                     f"{result.get('p50', 0):.1f} / {result.get('p99', 0):.1f} ms | "
                     f"{result['non_2xx']}{errors} | {per_request:.2f} | "
                     f"{' / '.join(map(str, result['connections_per_worker']))} | "
                     f"{'–' if is_floor else f'≥ {TARGET_RPS}'} | {met} |")
    lines += ["", "Connections per worker: wrk's kept-alive connections each worker held "
              "halfway through. A kept-alive connection stays with the worker that accepted "
              "it; when one worker holds them all, the row measured one worker, not two.",
              "The floor serves the raw floor's statement of `bench/customers.py` (ten "
              "columns of the 50 newest customers) from a bare WSGI app under the same "
              "gunicorn settings: what this machine allows for such a page. Compare the "
              "shares between machines, not the rates."]
    return "\n".join(lines)


def serve_scenarios(server: Server, wrk: str, script: Path, found: dict[str, Any],
                    args: argparse.Namespace, target_: Target) -> list[dict[str, Any]]:
    """Each scenario of ``scenarios`` (or those ``--only`` names) against ``crm serve``."""

    def measured() -> list[int]:
        return server.workers() + database_pids(args.database, target_.url)

    workers = [pid for pid in server.workers() if pid != server.process.pid]
    if args.warmup:
        # each worker loads the app after it starts: one still loading would leave every
        # connection of the first scenario to the other (issue 11, the administrator's
        # first page once measured one worker)
        warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
        run_wrk(wrk, script, server.port, found["admin"], scenarios(found)[0][2], False,
                warm, measured, workers)
    results = []
    for label, token, path, walk in scenarios(found):
        if args.only and args.only not in label:
            continue
        results.append(one_scenario(label, server, wrk, script, token, path, walk, args,
                                    measured, workers))
    return results


def floor_scenario(server: Server, wrk: str, script: Path, args: argparse.Namespace,
                   target_: Target) -> dict[str, Any]:
    """The floor's run: wrk on the bare app, after the same unmeasured warm-up."""

    def measured() -> list[int]:
        return server.workers() + database_pids(args.database, target_.url)

    workers = [pid for pid in server.workers() if pid != server.process.pid]
    if args.warmup:
        warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
        run_wrk(wrk, script, server.port, "", "/", False, warm, measured, workers)
    return one_scenario(FLOOR_LABEL, server, wrk, script, "", "/", False, args, measured,
                        workers)


def one_scenario(label: str, server: Server, wrk: str, script: Path, token: str, path: str,
                 walk: bool, args: argparse.Namespace, measured: Callable[[], list[int]],
                 workers: list[int]) -> dict[str, Any]:
    """One measured wrk run, told on stderr as it ends."""
    print(f"[{args.database}] {label}: wrk {args.duration} s ...", file=sys.stderr, flush=True)
    result = run_wrk(wrk, script, server.port, token, path, walk, args, measured, workers)
    result["label"] = label
    print(f"[{args.database}] {label}: {result['rps']:,.0f} requests/s, "
          f"non-200 {result['non_2xx']}, connections per worker "
          f"{result['connections_per_worker']}, CPU s per worker "
          f"{result['cpu_per_worker_s']}", file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    """Serve, load, stop and print; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000,
                        help="the size of the data set bench/customers.py built")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--server-threads", type=int, default=None,
                        help="threads per gunicorn worker (default: crm serve's)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=5,
                        help="seconds of unmeasured load first, while both workers load the app")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--pages", type=int, default=10, help="pages per cursor walk")
    parser.add_argument("--limiter", default="crm-memory://",
                        help="CRM_RATELIMIT_STORAGE_URL of the server (the app's default; "
                             "redis://... as in production with several workers)")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN)
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the floor (the page's SQL in a bare WSGI app)")
    parser.add_argument("--only", default="", help="run the scenarios whose label contains "
                                                   "this text")
    args = parser.parse_args(argv)
    wrk = need_wrk()
    target_ = target(args.database, f"customers-{args.customers}", args.postgres_url)
    if not target_.marker.exists():
        sys.exit(f"no {args.database} data set of {args.customers:,} customers: build it "
                 f"with bench/customers.py --database {args.database} --customers "
                 f"{args.customers} --reuse")
    found = tokens_and_cursor(target_)
    work = Path(tempfile.mkdtemp(prefix="crm-throughput-"))
    script = work / "list.lua"
    script.write_text(LUA)
    server = Server.crm(target_, free_port(), args.workers, args.limiter,
                        DATA / f"throughput-serve-{args.database}.log", args.server_threads)
    results: list[dict[str, Any]] = []
    try:
        server.wait_ready("/api/v1/customers?limit=1", found["admin"])
        print(f"[{args.database}] crm serve on 127.0.0.1:{server.port}, gunicorn pids "
              f"{' '.join(map(str, server.workers()))}", file=sys.stderr, flush=True)
        results += serve_scenarios(server, wrk, script, found, args, target_)
    finally:
        server.stop()
        revoke(target_, [found["admin"], found["rep"]])
    if not args.no_floor:
        floor = Server.floor(target_, free_port(), args.workers,
                             DATA / f"throughput-floor-{args.database}.log",
                             args.server_threads)
        try:
            floor.wait_ready("/")
            results.append(floor_scenario(floor, wrk, script, args, target_))
        finally:
            floor.stop()
    shutil.rmtree(work, ignore_errors=True)
    print(table(args.database, found["total"], args.workers, results), flush=True)
    machine = {"cpus": os.cpu_count(), "load": os.getloadavg(),
               "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (DATA / f"throughput-{args.database}-{args.customers}.json").write_text(json.dumps(
        {"machine": machine, "workers": args.workers, "connections": args.connections,
         "duration_s": args.duration, "limiter": args.limiter, "results": results},
        indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
