"""A job's message delivered again (issue 18, fault drills): after its worker died the job is
taken over and an import goes on after the rows it committed, never writing one twice; a
finished job or one a live process runs is left alone; a job queued while the broker was
unreachable, or whose message a restarted broker lost, is sent again.

The drills (``bench/drills/kill_worker_import.py``, ``redis_down.py``) do the same with a
real worker killed and a real Redis stopped; here the death is an exception no handler
catches, and the broker is a closed port or a stand-in."""

from __future__ import annotations

import datetime as dt

import pytest
from imports_testing import install, titles, write_csv
from sqlalchemy import update

from crm_core.db import get_session, utcnow
from crm_core.imports import run as run_module
from crm_core.imports.jobs import TASK, start_import_job
from crm_core.imports.models import TabularImport
from crm_core.imports.service import create_import, get_spec
from crm_core.jobs import runlock
from crm_core.jobs.models import WAITING, Job
from crm_core.jobs.runlock import RunLock
from crm_core.jobs.service import JobHandle, resend_jobs
from crm_core.testing import create_test_user

pytestmark = pytest.mark.crm_plugins("example")
TITLES = [f"Note {n:02d}" for n in range(10)]


class WorkerKilled(BaseException):
    """What kill -9 does to the task: it stops, and no handler of the job runs."""


@pytest.fixture
def app(crm_app):
    install(crm_app)
    return crm_app


def queue_import(app, tmp_path) -> tuple[int, int, int]:
    """An import of ten notes, checked, its run queued as the wizard does: (import, job, user)."""
    user = create_test_user(app, "importer", superuser=True)
    path = write_csv(tmp_path / "notes.csv", [["标题", "正文"], *[[t, "x"] for t in TITLES]])
    with app.app_context():
        session = get_session()
        imp = create_import(session, get_spec("example.note"), path, user_id=user.id)
        imp.status = "checked"
        session.commit()
        job = start_import_job(imp, "run", owner_id=user.id, locale="en")
        return imp.id, job.id, user.id


def deliver(app, import_id: int, job_id: int) -> None:
    """The worker receiving the job's message: the registered task, lock and claim included."""
    app.extensions["celery"].tasks[TASK](import_id=import_id, step="run", locale="en",
                                         job_id=job_id)


def states(app, import_id: int, job_id: int) -> tuple[str, str, int, int]:
    with app.app_context():
        session = get_session()
        imp, job = session.get(TabularImport, import_id), session.get(Job, job_id)
        return job.state, imp.status, imp.total, imp.created


def test_an_import_whose_worker_died_resumes_after_its_committed_rows(app, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setattr(run_module, "BATCH", 2)
    monkeypatch.setattr(run_module, "COMMIT_ROWS", 1)  # every batch commits, then reports
    reports = []
    progress = JobHandle.progress

    def dies_at_the_second_report(self, percent, message=None):
        reports.append(percent)
        if len(reports) == 2:
            raise WorkerKilled
        progress(self, percent, message)

    monkeypatch.setattr(JobHandle, "progress", dies_at_the_second_report)
    import_id, job_id, _user = queue_import(app, tmp_path)
    with pytest.raises(WorkerKilled):
        deliver(app, import_id, job_id)
    # two batches committed with their counts; the job and the import still say running
    assert states(app, import_id, job_id) == ("running", "running", 4, 4)
    assert titles(app) == TITLES[:4]

    deliver(app, import_id, job_id)  # the broker gives the unacknowledged message back
    assert states(app, import_id, job_id) == ("done", "done", 10, 10)
    assert titles(app) == TITLES  # each row once, in the file's order

    deliver(app, import_id, job_id)  # once more, after the end: nothing happens
    assert states(app, import_id, job_id) == ("done", "done", 10, 10)
    assert titles(app) == TITLES


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                              marks=pytest.mark.postgres)])
def test_a_second_delivery_while_the_job_runs_elsewhere_is_dropped(crm_make_app, database,
                                                                    request, tmp_path,
                                                                    monkeypatch):
    if database == "postgresql":
        request.getfixturevalue("postgres_url")  # skips without CRM_TEST_DATABASE_URL
    app = crm_make_app(plugins=["example"], database=database)
    install(app)
    monkeypatch.setattr(runlock, "WAIT_SECONDS", 0.0)
    import_id, job_id, _user = queue_import(app, tmp_path)
    with app.app_context():
        # the live run's lock, held by "another process" (an advisory lock on PostgreSQL)
        running = RunLock(job_id)
        assert running.acquire()
        try:
            deliver(app, import_id, job_id)
        finally:
            running.release()
    assert states(app, import_id, job_id)[:2] == ("queued", "running")
    assert titles(app) == []
    deliver(app, import_id, job_id)
    assert states(app, import_id, job_id) == ("done", "done", 10, 10)


def test_a_job_queued_while_the_broker_is_unreachable_waits_and_is_sent_later(
        crm_make_app, tmp_path, monkeypatch):
    # nothing listens on port 1: the broker is down when the job is started
    app = crm_make_app(plugins=["example"], CRM_BROKER_URL="redis://127.0.0.1:1/0")
    install(app)
    import_id, job_id, _user = queue_import(app, tmp_path)
    with app.app_context():
        job = get_session().get(Job, job_id)
        assert (job.state, job.message, job.error) == ("queued", WAITING, None)
        assert "job queue" in job.to_dict()["message"]
        assert resend_jobs() == 0  # still down: it keeps waiting
        get_session().expire_all()
        assert get_session().get(Job, job_id).message == WAITING

        sent = []
        celery = app.extensions["celery"]
        monkeypatch.setattr(celery, "send_task", lambda task, kwargs: sent.append((task, kwargs)))
        assert resend_jobs() == 1  # the broker is back
        assert sent == [(TASK, {"import_id": import_id, "step": "run", "locale": "en",
                                "job_id": job_id})]
        get_session().expire_all()
        assert get_session().get(Job, job_id).message == "Queued"
        assert resend_jobs() == 0  # sent once, not at every beat
    monkeypatch.undo()
    deliver(app, import_id, job_id)
    assert states(app, import_id, job_id) == ("done", "done", 10, 10)


def test_a_job_whose_message_a_restarted_broker_lost_is_sent_again_once(
        app, tmp_path, monkeypatch):
    import_id, job_id, _user = queue_import(app, tmp_path)
    sent = []
    monkeypatch.setattr(app.extensions["celery"], "send_task",
                        lambda task, kwargs: sent.append(kwargs["job_id"]))
    with app.app_context():
        assert resend_jobs() == 0  # queued a moment ago: its message is in the queue
        session = get_session()
        session.execute(update(Job).where(Job.id == job_id).values(
            updated_at=utcnow() - dt.timedelta(minutes=6)))  # Redis restarted, empty
        session.commit()
        assert resend_jobs() == 1 and sent == [job_id]
        assert resend_jobs() == 0
    deliver(app, import_id, job_id)  # the copy runs the job; the first one, if it
    deliver(app, import_id, job_id)  # survived after all, finds it done
    assert states(app, import_id, job_id) == ("done", "done", 10, 10)
    assert titles(app) == TITLES
