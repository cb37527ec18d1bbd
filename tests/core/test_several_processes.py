"""Several machines' worth of processes on one PostgreSQL and one Redis: a sign-in made on
one web process works on another, and jobs queued by any process run on either worker.
Server-side state lives only in the shared stores (docs/OPERATIONS.md, "Several machines")."""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse

import pytest
from serving import crm_served

from crm_core.testing import app_environment

PASSWORD = "several-procs-Pw-8642"
PROBE = '''
    import os
    import time

    from crm_core.toolkit import PluginInfo, TaskSpec, hookimpl

    PLUGIN = PluginInfo(name="probe", version="0.1", title="Probe")


    def probe(job):
        """A job that says which worker process ran it."""
        time.sleep(0.3)
        return f"ran in process {os.getpid()}"


    @hookimpl
    def crm_celery_tasks():
        return [TaskSpec("probe", probe, job=True)]
'''


class Browser:
    """Cookies carried from one server to another, as a load balancer would."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str,
                form: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text, dict(response.headers)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
def test_sessions_and_jobs_are_shared_by_every_process(crm_make_app, crm_install_plugin,
                                                       crm_start_worker, redis_url,
                                                       tmp_path, monkeypatch):
    site = crm_install_plugin("probe", PROBE)
    monkeypatch.setenv("PYTHONPATH", str(site))
    app = crm_make_app(plugins=["probe"], database="postgresql", CRM_BROKER_URL=redis_url,
                       CRM_RATELIMIT_STORAGE_URL=redis_url)
    settings = {**app_environment(app), "CRM_RATELIMIT_STORAGE_URL": redis_url}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with crm_served(tmp_path / "a", PASSWORD, **settings) as first, \
            crm_served(tmp_path / "b", PASSWORD, **settings) as second:
        browser = Browser()
        _status, page, _ = browser.request(first, "GET", "/login")
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        status, _text, headers = browser.request(first, "POST", "/login", {
            "csrf_token": token.group(1), "username": "admin", "password": PASSWORD})
        assert status == 302 and "/login" not in headers.get("Location", "")
        status, home, _ = browser.request(second, "GET", "/")
        assert status == 200 and 'name="password"' not in home  # signed in on the other one
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', home)
        status, _text, headers = browser.request(second, "POST", "/logout",
                                                 {"csrf_token": token.group(1)})
        assert status == 302
        status, _text, headers = browser.request(first, "GET", "/")
        assert status == 302 and "/login" in headers["Location"]  # signed out everywhere

    workers = [crm_start_worker(app), crm_start_worker(app)]
    from crm_core.db import get_session
    from crm_core.jobs.models import Job
    from crm_core.jobs.service import start_job

    with app.app_context():
        ids = [start_job("probe.probe").id for _ in range(12)]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            session = get_session()
            session.expire_all()
            jobs = [session.get(Job, job_id) for job_id in ids]
            if all(job.state == "done" for job in jobs):
                break
            time.sleep(0.3)
        messages = {job.message for job in jobs}
    assert all(job.state == "done" for job in jobs), [job.state for job in jobs]
    ran_in = {int(re.search(r"\d+", message).group()) for message in messages}
    assert ran_in == {worker.process.pid for worker in workers}
