"""Serving and loading for ``bench/throughput.py``: gunicorn servers (``crm serve`` or the
floor's bare app, ``_throughput_floor``) in their own process groups, and wrk runs with the
CPU their processes spent."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _customers_build import Target
from _throughput_proc import all_pids, connections_per_worker, cpu_between, cpu_seconds, parent_of

CRM = str(Path(sys.executable).with_name("crm"))


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
        from crm_core.cli import SERVE_THREADS, gunicorn_worker_options

        return cls([sys.executable, "-m", "gunicorn", "--chdir", str(Path(__file__).parent),
                    "--bind", f"127.0.0.1:{port}",
                    *gunicorn_worker_options(workers, threads or SERVE_THREADS),
                    "_throughput_floor:app"],
                   {"CRM_FLOOR_DATABASE": target_.driver_url()}, port, log)

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
