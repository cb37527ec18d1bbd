"""A job's file is downloaded through the kernel: no page or API answer carries a server path."""

from __future__ import annotations

import json

import pytest
from jobs_testing import finished_export, sales_rep

from crm_core.db import get_session
from crm_core.jobs.models import Job
from crm_core.jobs.service import JobHandle, job_files_dir
from crm_core.testing import create_test_user, login
from crm_core.toolkit import start_job

pytestmark = pytest.mark.crm_plugins("example")


def _server_paths(app) -> list[str]:
    return [app.config["CRM_INSTANCE_PATH"], str(app.config["CRM_JOB_FILES"])]


def test_the_api_and_the_page_offer_a_download_url_never_the_file_path(crm_app):
    owner = sales_rep(crm_app, "owner")
    job_id = finished_export(crm_app, owner)
    client = login(crm_app.test_client(), owner)

    api = client.get(f"/api/v1/jobs/{job_id}")
    body = api.get_json()
    assert body["state"] == "done" and "result_file" not in body
    assert body["download_url"] == f"/jobs/{job_id}/download"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    fragment = client.get(f"/jobs/{job_id}/progress").get_data(as_text=True)
    for text in (api.get_data(as_text=True), page, fragment):
        for path in _server_paths(crm_app):
            assert path not in text and json.dumps(path)[1:-1] not in text
    assert f'href="/jobs/{job_id}/download"' in page and "Download" in page

    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == f"attachment; filename=notes-{job_id}.csv"
    assert download.get_data().decode("utf-8-sig").splitlines()[1].split(",")[1] == \
        "Quarterly plan"


def test_only_the_owner_or_a_superuser_downloads_a_jobs_file(crm_app):
    owner = sales_rep(crm_app, "owner")
    other = sales_rep(crm_app, "other")
    root = create_test_user(crm_app, "root", superuser=True)
    job_id = finished_export(crm_app, owner)
    assert login(crm_app.test_client(), other).get(f"/jobs/{job_id}/download").status_code \
        == 404
    assert login(crm_app.test_client(), root).get(f"/jobs/{job_id}/download").status_code \
        == 200
    anonymous = crm_app.test_client().get(f"/jobs/{job_id}/download")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_an_unfinished_job_or_a_file_outside_the_jobs_folder_is_not_served(crm_app, tmp_path):
    owner = sales_rep(crm_app, "owner")
    client = login(crm_app.test_client(), owner)
    with crm_app.app_context():
        queued = start_job("example.export_notes", owner_id=owner.id)
    assert client.get(f"/api/v1/jobs/{queued.id}").get_json()["download_url"] is None
    assert client.get(f"/jobs/{queued.id}/download").status_code == 404

    secret = tmp_path / "secret.txt"
    secret.write_text("not for download")
    job_id = finished_export(crm_app, owner)
    with crm_app.app_context():
        with pytest.raises(ValueError, match="inside the jobs folder"):
            JobHandle(job_id).result_file(secret)
        session = get_session()
        session.get(Job, job_id).result_file = str(job_files_dir() / ".." / ".." / secret)
        session.commit()
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


def test_a_failed_job_shows_words_not_the_exceptions_path(crm_app):
    owner = sales_rep(crm_app, "owner")
    with crm_app.app_context():
        job = start_job("example.export_notes", owner_id=owner.id)
        handle = JobHandle(job.id)
        handle.start()
        handle.fail(FileNotFoundError(2, "No such file", str(job_files_dir() / "x.csv")))
    client = login(crm_app.test_client(), owner)
    body = client.get(f"/api/v1/jobs/{job.id}").get_json()
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert body["state"] == "failed"
    assert body["error"] == (f"The job failed unexpectedly. An administrator can find job "
                             f"{job.id} in the log.")
    for text in (json.dumps(body), page):
        for path in _server_paths(crm_app):
            assert path not in text
    assert body["error"] in page
