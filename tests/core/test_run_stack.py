"""What `make run` starts: web, worker and beat under honcho, on the embedded defaults.

Starts the real processes on a free port of 127.0.0.1, signs in with the printed admin
password, runs a background job through the UI to the worker, and stops everything with
Ctrl-C (SIGINT), as a user would.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(opener, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, TimeoutError) as error:  # not listening or loading yet
        return 0, str(error)


@pytest.mark.worker
def test_make_run_stack_serves_runs_jobs_and_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "CRM_INSTANCE_PATH": str(tmp_path / "instance"), "CRM_TASK_QUEUE": "crm-stack-test"}
    for name in ("CRM_DATABASE_URL", "CRM_BROKER_URL", "CRM_PLUGINS", "CRM_ADMIN_PASSWORD"):
        env.pop(name, None)
    crm = [sys.executable, "-m", "crm_core.cli"]
    subprocess.run(crm + ["db", "upgrade"], env=env, check=True, capture_output=True)
    created = subprocess.run(crm + ["users", "ensure-admin"], env=env, check=True,
                             capture_output=True, text=True).stdout
    password = re.search(r"password:\s+(\S+)", created).group(1)
    subprocess.run(crm + ["example", "add-note", "Stack test note"], env=env, check=True,
                   capture_output=True)

    port = _free_port()
    log = (tmp_path / "honcho.log").open("w")
    honcho = subprocess.Popen([str(BIN / "honcho"), "start", "-f", str(REPO / "Procfile"),
                               "-d", str(REPO), "-p", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        deadline = time.monotonic() + 120
        ready = None
        while time.monotonic() < deadline:
            status, body = _get(opener, base + "/readyz")
            if status == 200:
                ready = json.loads(body)
                break
            time.sleep(0.5)
        assert ready == {"status": "ready", "checks": {"database": "ok", "broker": "ok"},
                         "plugins": {"broken": []}}, \
            (tmp_path / "honcho.log").read_text()
        assert _get(opener, base + "/healthz")[0] == 200

        status, login_page = _get(opener, base + "/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)[1]
        status, home = _get(opener, base + "/login",
                            {"csrf_token": token, "username": "admin", "password": password})
        assert status == 200 and "Dashboard" in home
        status, notes = _get(opener, base + "/example/notes")
        assert "Stack test note" in notes
        token = re.search(r'name="csrf_token" value="([^"]+)"', notes)[1]
        status, job_page = _get(opener, base + "/example/notes/export", {"csrf_token": token})
        assert status == 200 and 'role="progressbar"' in job_page
        job_id = re.search(r"/jobs/(\d+)/progress", job_page)[1]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = json.loads(_get(opener, f"{base}/api/v1/jobs/{job_id}")[1])
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.3)
        assert job["state"] == "done" and job["message"] == "Exported 1 note", job
        assert "beat: Starting" in (tmp_path / "honcho.log").read_text()
    finally:
        os.killpg(honcho.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            pytest.fail("Ctrl-C did not stop honcho within 30 s")
        log.close()
    time.sleep(0.5)
    leftovers = subprocess.run(["pgrep", "-g", str(honcho.pid)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "processes survived Ctrl-C"
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the web server still listens"
