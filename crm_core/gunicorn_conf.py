"""gunicorn settings that ``crm serve`` loads (``-c python:crm_core.gunicorn_conf``).

A worker that exits leaves its metric files in ``PROMETHEUS_MULTIPROC_DIR``; marking it
dead drops its live gauges while its counters and histograms still count in the sums.
"""

from __future__ import annotations

from typing import Any


def child_exit(_server: Any, worker: Any) -> None:
    """gunicorn hook: a worker process ended."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
