"""What the PostgreSQL and Redis drills share: a database of their own on the shared
server, an instance using it, and processes (``crm serve``, a worker, the beat) started in
their own process groups and stopped at the end. Not a drill."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CRM = [sys.executable, "-m", "crm_core.cli"]


def stamp() -> str:
    """When and under what load a figure was taken (the machine is shared)."""
    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} vCPUs, "
            f"load {os.getloadavg()[0]:.1f}")


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin(url: str) -> psycopg.Connection:
    target = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(target.render_as_string(hide_password=False), autocommit=True)


@contextmanager
def own_database(admin_url: str, name: str) -> Iterator[str]:
    """A new database ``name`` on the server of ``admin_url`` (dropped first if a past run
    left it, and dropped at the end); yields its SQLAlchemy URL."""
    if not re.fullmatch(r"crm_[a-z_]+", name):
        raise SystemExit(f"refusing to create or drop database {name!r}")
    with _admin(admin_url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin(admin_url) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(instance: Path, database_url: str, broker_url: str,
                **settings: str) -> dict[str, str]:
    """The ``CRM_*`` environment of an instance on ``database_url`` and ``broker_url``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({"CRM_INSTANCE_PATH": str(instance), "CRM_DATABASE_URL": database_url,
                "CRM_BROKER_URL": broker_url, "CRM_SECRET_KEY": "drill-secret-key-0123456789",
                "CRM_LOG_LEVEL": "WARNING", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
                "PYTHONPATH": str(ROOT), **settings})
    return env


def crm(env: dict[str, str], *args: str) -> str:
    """Run ``crm ARGS`` to the end; its output."""
    done = subprocess.run(CRM + list(args), env=env, capture_output=True, text=True,
                          timeout=900, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"crm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """``crm ARGS`` in the background, in a process group of its own, output to ``log``."""
    return subprocess.Popen(CRM + list(args), env=env, stdout=log.open("a"),
                            stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Stop ``process`` and its group (SIGKILL after 30 s)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def wait_http(port: int, path: str = "/healthz", seconds: float = 120) -> None:
    """Wait until ``GET path`` answers 200 on ``port``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get(port, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"nothing answered on port {port}")


def get(port: int, path: str, cookie: str = "", timeout: float = 10,
        headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """``GET path``: (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def sign_in(port: int, username: str, password: str) -> str:
    """A signed-in session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "username": username,
                                   "password": password})
    connection.request("POST", "/login", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.getheader("Set-Cookie", cookie).split(";", 1)[0]
