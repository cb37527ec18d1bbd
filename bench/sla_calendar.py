"""Speed of the SLA working calendar (plugins/service/sla/calendar.py): the arithmetic an SLA
sweep over 100,000 open tickets does, without a database.

    .venv/bin/python bench/sla_calendar.py [--calls 100000] [--seed 2026]

Random starts anywhere in 2025–2026 (inside and outside working time, in UTC), targets drawn
from the default SLA targets (1 h to 40 h) and occasionally up to a year's worth, spans up to
60 days. Prints one Markdown row per figure: calls, total seconds, µs per call. The issue's
target is a sweep of 100,000 tickets in ≤ 10 s. It is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.service.sla.calendar import (  # noqa: E402
    WorkingCalendar,
    working_minutes_excluding,
)

SPAN_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = int((dt.datetime(2027, 1, 1, tzinfo=dt.UTC) - SPAN_START).total_seconds())
TARGET_MINUTES = [60, 120, 240, 480, 1440, 2400]


def _starts(rng: random.Random, count: int) -> list[dt.datetime]:
    return [
        SPAN_START + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS)) for _ in range(count)
    ]


def _timed(label: str, calls: int, run: Callable[[], object]) -> None:
    began = time.perf_counter()
    run()
    seconds = time.perf_counter() - began
    print(f"| {label} | {calls:,} | {seconds:.3f} | {seconds / calls * 1e6:.1f} |")


def main(argv: list[str] | None = None) -> None:
    """Run the figures and print them as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    n = args.calls

    starts = _starts(rng, n)
    minutes = [
        rng.choice(TARGET_MINUTES) if rng.random() < 0.99 else rng.randrange(1, 250 * 480)
        for _ in range(n)
    ]
    ends = [s + dt.timedelta(seconds=rng.randrange(60 * 86400)) for s in starts]
    pauses = [
        [(s + dt.timedelta(hours=2), s + dt.timedelta(days=2)), (s + dt.timedelta(days=1), None)]
        for s in starts
    ]

    print("| figure | calls | seconds | µs per call |")
    print("|---|---:|---:|---:|")
    calendar = WorkingCalendar()
    began = time.perf_counter()
    calendar.add_working_minutes(starts[0], 1)
    print(f"| first call (builds one year's table) | 1 | {time.perf_counter() - began:.4f} | |")
    _timed(
        "add_working_minutes",
        n,
        lambda: [calendar.add_working_minutes(s, m) for s, m in zip(starts, minutes, strict=True)],
    )
    _timed(
        "working_minutes_between",
        n,
        lambda: [calendar.working_minutes_between(s, e) for s, e in zip(starts, ends, strict=True)],
    )
    _timed(
        "working_minutes_excluding (2 overlapping pauses, one open)",
        n,
        lambda: [
            working_minutes_excluding(calendar, s, e, p)
            for s, e, p in zip(starts, ends, pauses, strict=True)
        ],
    )
    days_off = frozenset({dt.date(2026, 3, 9), dt.date(2026, 12, 24)})
    _timed(
        "add_working_minutes, a new equal calendar each call",
        n,
        lambda: [
            WorkingCalendar(days_off=days_off).add_working_minutes(s, m)
            for s, m in zip(starts, minutes, strict=True)
        ],
    )


if __name__ == "__main__":
    main()
