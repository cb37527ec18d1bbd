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
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _customers_build import DATA, Target, make_app, target  # noqa: E402
from _throughput_proc import database_pids  # noqa: E402
from _throughput_serve import Server, free_port, need_wrk, run_wrk  # noqa: E402

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_RPS = 750
FLOOR_LABEL = "floor: the page's SQL in a bare WSGI app (no framework, sign-in or scope)"
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
    measured, workers = warmed(server, wrk, script, found["admin"], scenarios(found)[0][2],
                               args, target_)
    return [one_scenario(label, server, wrk, script, token, path, walk, args, measured,
                         workers)
            for label, token, path, walk in scenarios(found)
            if not args.only or args.only in label]


def floor_scenario(server: Server, wrk: str, script: Path, args: argparse.Namespace,
                   target_: Target) -> dict[str, Any]:
    """The floor's run: wrk on the bare app, after the same unmeasured warm-up."""
    measured, workers = warmed(server, wrk, script, "", "/", args, target_)
    return one_scenario(FLOOR_LABEL, server, wrk, script, "", "/", False, args, measured,
                        workers)


def warmed(server: Server, wrk: str, script: Path, token: str, path: str,
           args: argparse.Namespace, target_: Target
           ) -> tuple[Callable[[], list[int]], list[int]]:
    """Load ``path`` unmeasured for ``--warmup`` seconds; returns what to measure (the
    server's processes and the database's) and the server's workers."""

    def measured() -> list[int]:
        return server.workers() + database_pids(args.database, target_.url)

    workers = [pid for pid in server.workers() if pid != server.process.pid]
    if args.warmup:
        # each worker loads the app after it starts: one still loading would leave every
        # connection of the first scenario to the other (issue 11, the administrator's
        # first page once measured one worker)
        warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
        run_wrk(wrk, script, server.port, token, path, False, warm, measured, workers)
    return measured, workers


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
    results: list[dict[str, Any]] = []
    try:
        server = Server.crm(target_, free_port(), args.workers, args.limiter,
                            DATA / f"throughput-serve-{args.database}.log", args.server_threads)
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
    finally:
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
