"""``crm serve`` for tests: a real gunicorn on a free port of 127.0.0.1, on a migrated
instance with an administrator, stopped (its whole process group) at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def crm_served(instance: Path, password: str, workers: int = 1,
               **settings: str) -> Iterator[int]:
    """Migrate a kernel-only instance (or the plugins of ``CRM_PLUGINS`` in ``settings``),
    add the administrator with ``password``, serve it; yields the port."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({"CRM_INSTANCE_PATH": str(instance), "CRM_ADMIN_PASSWORD": password,
                "CRM_PLUGINS": "", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
                **settings})
    crm = [sys.executable, "-m", "crm_core.cli"]
    for command in (["db", "upgrade"], ["users", "ensure-admin"]):
        subprocess.run(crm + command, env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    log = (instance / "serve.log").open("w")
    server = subprocess.Popen(crm + ["serve", "--port", str(port), "--workers", str(workers)],
                              env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=60) as probe:
                    probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if probe.recv(64).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:  # not listening yet, or the worker is still loading the app
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("crm serve did not start:\n" + (instance / "serve.log").read_text())
            time.sleep(0.3)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
