"""Background jobs: a real worker process runs a job that reports rising progress."""

from __future__ import annotations

import time

import pytest

from crm_core.jobs.models import Job
from crm_core.testing import create_test_user, login
from crm_core.toolkit import start_job

pytestmark = pytest.mark.crm_plugins("example")


def _add_notes(app, count: int) -> None:
    from crm_plugin_example import services

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        for number in range(count):
            services.add_note(session, f"Note {number}")
        session.commit()


def _watch_once(app, job_id: int) -> tuple[str, int]:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        job = session.get(Job, job_id)
        state = (job.state, job.progress)
        session.close()
    return state


def _watch(app, job_id: int, timeout: float = 60) -> list[tuple[str, int]]:
    """Poll the Job row until it finishes; return every (state, progress) seen."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _watch_once(app, job_id)
        if not seen or seen[-1] != state:
            seen.append(state)
        if state[0] in ("done", "failed"):
            return seen
        time.sleep(0.05)
    pytest.fail(f"job {job_id} did not finish in {timeout} s; seen {seen}")


def _run_export(app, crm_start_worker) -> tuple[list[tuple[str, int]], Job]:
    _add_notes(app, 50)
    admin = create_test_user(app, "boss", superuser=True)
    with app.app_context():
        job = start_job("example.export_notes", kind="Export notes", owner_id=admin.id,
                        batch=10, pause=0.3)
    before_worker = _watch_once(app, job.id)
    assert before_worker == ("queued", 0)
    crm_start_worker(app)
    seen = [before_worker] + _watch(app, job.id)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        finished = session.get(Job, job.id)
        session.close()
    return seen, finished


def _assert_rising_to_done(seen: list[tuple[str, int]], finished: Job) -> None:
    states = [state for state, _ in seen]
    assert states[0] == "queued"
    assert "running" in states
    assert states[-1] == "done", finished.error
    running = [progress for state, progress in seen if state == "running"]
    assert len(set(running)) >= 3, f"progress should rise in steps, saw {seen}"
    assert running == sorted(running)
    assert finished.progress == 100
    assert finished.started_at is not None and finished.finished_at is not None
    assert finished.message == "Exported 50 notes"


@pytest.mark.worker
def test_job_goes_queued_running_done_on_embedded_sqlite_broker(crm_app, crm_start_worker):
    seen, finished = _run_export(crm_app, crm_start_worker)
    _assert_rising_to_done(seen, finished)
    lines = open(finished.result_file, encoding="utf-8-sig").read().splitlines()
    assert lines[0] == "ID,Title,Body,Status,Priority,Owner,Created"
    assert len(lines) == 51


@pytest.mark.worker
@pytest.mark.redis
def test_job_goes_queued_running_done_on_redis(crm_make_app, crm_start_worker, redis_url):
    app = crm_make_app(plugins=["example"], CRM_BROKER_URL=redis_url)
    seen, finished = _run_export(app, crm_start_worker)
    _assert_rising_to_done(seen, finished)


def test_failed_task_marks_job_failed_with_the_error(crm_app):
    from crm_core.errors import DomainError
    from crm_core.jobs.service import JobHandle

    with crm_app.app_context():
        job = start_job("example.export_notes")
        handle = JobHandle(job.id)
        handle.start()
        handle.fail(ValueError("disk full"))
        session = crm_app.extensions["crm_db"].new_session()
        failed = session.get(Job, job.id)
        assert failed.state == "failed" and failed.finished_at is not None
        # the user reads why in words; the exception's own text stays in the log
        assert "disk full" not in failed.error
        assert failed.error_text == (f"The job failed unexpectedly. An administrator can find "
                                     f"job {job.id} in the log.")
        handle.fail(DomainError("The file has no rows."))
        session.expire_all()
        assert session.get(Job, job.id).error == "The file has no rows."


def test_unknown_job_task_is_refused(crm_app):
    from crm_core.errors import DomainError

    with crm_app.app_context(), pytest.raises(DomainError, match="not a registered job task"):
        start_job("example.nope")


def test_job_page_and_api_show_progress_to_its_owner_only(crm_app):
    owner = create_test_user(crm_app, "owner", superuser=True)
    with crm_app.app_context():
        job = start_job("example.export_notes", owner_id=owner.id)
    client = login(crm_app.test_client(), owner)

    api = client.get(f"/api/v1/jobs/{job.id}")
    assert api.status_code == 200
    body = api.get_json()
    assert body["state"] == "queued" and body["progress"] == 0 and body["id"] == job.id
    assert set(body) >= {"kind", "state", "progress", "message", "download_url", "error",
                         "started_at", "finished_at"}
    assert "result_file" not in body and body["download_url"] is None

    page = client.get(f"/jobs/{job.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'role="progressbar"' in html and "hx-trigger=\"every 1s\"" in html

    missing = client.get("/api/v1/jobs/999999")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"


def test_anonymous_users_cannot_see_jobs(crm_app, client):
    with crm_app.app_context():
        job = start_job("example.export_notes")
    assert client.get(f"/api/v1/jobs/{job.id}").status_code == 401
    response = client.get(f"/jobs/{job.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


WRITER = """
    from crm_core.toolkit import PluginInfo, TaskSpec, db, hookimpl

    PLUGIN = PluginInfo(name="writer", version="0.1", title="Writer", requires=["example"])

    def write_note(job):
        from crm_plugin_example import services

        services.add_note(db.session, f"written for {job.owner_id}")
        db.session.commit()

    @hookimpl
    def crm_celery_tasks():
        return [TaskSpec("write_note", write_note, job=True)]
"""


def test_a_job_runs_as_the_user_who_started_it(crm_install_plugin, crm_make_app):
    from sqlalchemy import select

    from crm_core.audit.models import AuditEntry
    from crm_core.jobs.service import JobHandle

    crm_install_plugin("writer", WRITER)
    app = crm_make_app(plugins=["example", "writer"])
    owner = create_test_user(app, "starter", superuser=True)
    with app.app_context():
        job = start_job("writer.write_note", owner_id=owner.id)
        assert JobHandle(job.id).owner() == (owner.id, "starter")
        app.extensions["celery"].tasks["writer.write_note"](job_id=job.id)  # run it here
        system = start_job("writer.write_note")
        app.extensions["celery"].tasks["writer.write_note"](job_id=system.id)
        session = app.extensions["crm_db"].new_session()
        writers = session.execute(select(AuditEntry.username, AuditEntry.changes)
                                  .where(AuditEntry.model == "example_note")
                                  .order_by(AuditEntry.id)).all()
        session.close()
    assert [name for name, _ in writers] == ["starter", "system"]
    assert f"written for {owner.id}" in writers[0][1] and "written for None" in writers[1][1]
