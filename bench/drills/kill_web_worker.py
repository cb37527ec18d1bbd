"""Drill: kill -9 a web worker while requests are in flight (issue 18, fault drills).

    .venv/bin/python bench/drills/kill_web_worker.py [--seconds 20] [--clients 8]

Serves a fresh kernel-only instance with ``crm serve --workers 2`` on a free port of
127.0.0.1, signs in ``--clients`` browsers that load the home page in a loop, and after a
third of the time sends SIGKILL to one gunicorn worker. gunicorn's master starts a new worker;
the drill counts the requests that failed (connection reset or 5xx) and checks that every
failure happened within a second of the kill and that requests succeed again afterwards.
Prints a Markdown table; stops everything it started. A drill, not a test.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "core"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import sign_in  # noqa: E402
from serving import crm_served  # noqa: E402

PASSWORD = "drill-web-Pw-2468"


def _master(port: int) -> int:
    """The gunicorn master serving ``port`` (the process whose parent is not one of them)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if "gunicorn" in command and f"127.0.0.1:{port}" in command:
            found[int(entry.name)] = parent
    return next(pid for pid, parent in found.items() if parent not in found)


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def main(argv: list[str] | None = None) -> int:
    """Run the drill and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, \
            crm_served(Path(folder), PASSWORD, workers=2) as port:
        cookie = sign_in(port, "admin", PASSWORD)
        results: list[tuple[float, bool]] = []
        lock, stop = threading.Lock(), threading.Event()

        def browse() -> None:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    connection.request("GET", "/", headers={"Cookie": cookie})
                    response = connection.getresponse()
                    response.read()
                    connection.close()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):  # reset, cut short
                    ok = False
                with lock:
                    results.append((started, ok))

        master = _master(port)
        threads = [threading.Thread(target=browse) for _ in range(args.clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(args.seconds / 3)
        victim = _workers(master)[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        time.sleep(args.seconds * 2 / 3)
        stop.set()
        for thread in threads:
            thread.join()
        replaced = victim not in _workers(master) and len(_workers(master)) == 2
    failed = [at for at, ok in results if not ok]
    late = [at for at in failed if at - killed_at > 1.0 or at < killed_at - 10]
    after = [ok for at, ok in results if at > killed_at + 2]
    print(f"#### kill -9 of a web worker, {args.clients} clients, {args.seconds:g} s, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| figure | value |\n|---|---|")
    print(f"| requests | {len(results)} ({len(results) / (time.monotonic() - began):.0f}/s) |")
    print(f"| failed | {len(failed)} |")
    print(f"| failed later than 1 s after the kill | {len(late)} |")
    print(f"| succeeded after the kill (+2 s on) | {sum(after)} of {len(after)} |")
    print(f"| worker replaced by gunicorn | {'yes' if replaced else 'no'} |")
    return 0 if not late and all(after) and replaced else 1


if __name__ == "__main__":
    raise SystemExit(main())
