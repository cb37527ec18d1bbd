"""Instructions per API list request, counted by valgrind's callgrind: the cost of a request
in a figure that does not move with the machine's speed or its neighbours.

    .venv/bin/python bench/instructions.py [--requests 50] [--only "first page"]

``bench/throughput.py``'s rates moved by a fifth between minutes on a shared machine (the
same code at 547 and 435 requests/s), more than most changes to a request are worth. Here
each scenario's requests run in one process under callgrind, warmed first, counted only
while they run: the same code counts the same instructions to within 0.1 %, so a change of
1 % shows. Beside them, the same for the throughput floor's bare WSGI app
(``_throughput_floor``) and for a WSGI app that answers ``{}`` (the harness: Werkzeug's test
client, counted in every line; subtract it). Needs valgrind (``apt-get install valgrind``)
and the data set ``bench/customers.py --reuse`` built. No timing: instructions are not
time (a cache miss costs more than an addition), but they are what the Python does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _customers_build import target  # noqa: E402
from throughput import POSTGRES_ADMIN, revoke, scenarios, tokens_and_cursor  # noqa: E402

WARM = 100  # unmeasured requests first: caches, statements, the token's first use


def child(kind: str, target_name: str, requests: int, signals: Path) -> None:
    """Inside valgrind: warm up, say so, wait for the go, run ``requests`` requests."""
    path, token = os.environ["CRM_BENCH_PATH"], os.environ.get("CRM_BENCH_TOKEN", "")
    target_ = target("sqlite", target_name, POSTGRES_ADMIN)
    if kind == "crm":
        from _customers_build import make_app

        client = make_app(target_).test_client()
    else:
        from werkzeug.test import Client

        if kind == "floor":
            os.environ["CRM_FLOOR_DATABASE"] = target_.driver_url()
            from _throughput_floor import app
        else:
            def app(_environ: Any, start_response: Any) -> list[bytes]:
                start_response("200 OK", [("Content-Type", "application/json")])
                return [b"{}"]
        client = Client(app)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    for _ in range(WARM):
        answer = client.get(path, headers=headers)
        if answer.status_code != 200:
            sys.exit(f"{path}: {answer.status_code} {answer.get_data()[:200]!r}")
    (signals / "ready").touch()
    while not (signals / "go").exists():
        time.sleep(0.05)
    for _ in range(requests):
        client.get(path, headers=headers)
    (signals / "done").touch()
    time.sleep(3600)  # the parent dumps the counts and ends this process


def _wait_for(path: Path, process: subprocess.Popen[Any], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the counted process stopped or hung before {path.name}")
        time.sleep(0.2)


def count(kind: str, target_name: str, path: str, token: str, requests: int) -> int:
    """Instructions per request of one scenario (callgrind, counted only while it runs)."""
    with tempfile.TemporaryDirectory(prefix="crm-instructions-") as folder:
        signals = Path(folder)
        environment = {**os.environ, "CRM_BENCH_PATH": path, "CRM_BENCH_TOKEN": token,
                       "CRM_API_RATE_LIMIT": "100000000 per minute"}
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={signals / 'counts.%p'}", sys.executable, __file__,
             "--child", kind, "--target", target_name, "--requests", str(requests),
             "--signals", folder], env=environment, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            _wait_for(signals / "ready", process, 900)
            subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True,
                           capture_output=True)
            (signals / "go").touch()
            _wait_for(signals / "done", process, 900)
            for command in (["-i", "off"], ["-d"]):
                subprocess.run(["callgrind_control", *command, str(process.pid)],
                               check=True, capture_output=True)
        finally:
            process.kill()
            process.wait()
        totals = [int(line.split()[1]) for dump in signals.glob("counts.*.*")
                  for line in dump.read_text().splitlines() if line.startswith("totals:")]
    if not totals:
        raise RuntimeError("callgrind wrote no counts")
    return sum(totals) // requests


def main(argv: list[str] | None = None) -> int:
    """Count each scenario, print a table (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50, help="counted requests each")
    parser.add_argument("--only", default="", help="the scenarios whose label has this text")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--signals", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.target, args.requests, Path(args.signals))
        return 0
    name = f"customers-{args.customers}"
    target_ = target("sqlite", name, POSTGRES_ADMIN)
    if not target_.marker.exists():
        sys.exit(f"no SQLite data set of {args.customers:,} customers: build it with "
                 f"bench/customers.py --customers {args.customers} --reuse")
    found = tokens_and_cursor(target_)
    rows: list[tuple[str, int]] = []
    try:
        for label, token, path, walk in scenarios(found):
            if walk or args.only not in label:
                continue  # a walk follows cursors: wrk's Lua does it, not this counter
            rows.append((label, count("crm", name, path, token, args.requests)))
            print(f"{label}: {rows[-1][1]:,} instructions a request", file=sys.stderr)
    finally:
        revoke(target_, [found["admin"], found["rep"]])
    floor = count("floor", name, "/", "", args.requests)
    harness = count("harness", name, "/", "", args.requests)
    lines = ["| scenario | instructions a request | without the harness | × the floor's |",
             "|---|---|---|---|"]
    for label, instructions in [*rows, ("floor: the page's SQL in a bare WSGI app", floor)]:
        lines.append(f"| {label} | {instructions:,} | {instructions - harness:,} | "
                     f"{(instructions - harness) / max(floor - harness, 1):.1f} |")
    lines.append(f"| harness: Werkzeug's test client and a WSGI app answering {{}} | "
                 f"{harness:,} | – | – |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
