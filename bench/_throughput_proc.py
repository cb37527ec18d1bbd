"""What ``bench/throughput.py`` reads from Linux's /proc about the server under load: its
processes, the CPU time they spent, the connections each worker holds, and the PostgreSQL
backends of the benchmark's database."""

from __future__ import annotations

import os
from pathlib import Path


def all_pids() -> list[int]:
    """Every process id (Linux /proc)."""
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def parent_of(pid: int) -> int | None:
    """The parent process id of ``pid``, None when it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each process spent so far (Linux /proc; none elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    spent = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            spent[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return spent


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings by the processes present in both."""
    return sum(after[pid] - before[pid] for pid in after if pid in before)


def database_pids(kind: str, url: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (their CPU counts too; the
    server's other clients are left out); none for SQLite."""
    if kind != "postgres":
        return []
    from sqlalchemy.engine import make_url

    name = (make_url(url).database or "").encode()
    found = []
    for pid in all_pids():
        try:
            if name and name in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def connections_per_worker(port: int, workers: list[int]) -> list[int]:
    """How many established connections to ``port`` each worker holds (Linux /proc), in the
    order of ``workers``: a kept-alive connection stays with the worker that accepted it,
    and gunicorn's workers race for each accept, so one worker may hold all of wrk's
    connections and the other idle (the run then measures one worker, not two)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                established.add(fields[9])  # the socket's inode
    held = []
    for pid in workers:
        count = 0
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in established:
                    count += 1
        except OSError:
            pass
        held.append(count)
    return held
