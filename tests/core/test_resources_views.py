"""A Resource list's saved views, bulk actions and export job (the example's notes)."""

from __future__ import annotations

import io
import re
import time

import pytest
from openpyxl import load_workbook
from resources_world import build

from crm_core.db import get_session
from crm_core.jobs.models import Job

pytestmark = pytest.mark.crm_plugins("example")


@pytest.fixture
def world(crm_app):
    return build(crm_app)


def titles(html: str) -> list[str]:
    return re.findall(r'href="/example/notes/\d+">([^<]+)</a>', html)


def test_a_saved_view_brings_back_filters_sort_and_columns_for_its_owner_only(world):
    world.add_notes("sally", 3)
    world.add_notes("sally", 2, title="Done", start=3, status="done")
    sally = world.client("sally")
    token = world.token(sally)
    saved = sally.post("/example/notes/views", data={
        "csrf_token": token, "name": "Finished", "status": "done", "sort": "title",
        "cols": "title,status"})
    assert saved.status_code == 302
    view_url = saved.headers["Location"]
    view_id = int(re.search(r"view=(\d+)", view_url)[1])
    html = sally.get(view_url).get_data(as_text=True)
    assert titles(html) == ["Done 003", "Done 004"]
    headers = re.findall(r'<th scope="col"[^>]*>\s*(?:<a[^>]*>)?([^<]+)', html)
    assert "Finished" in html and [h.strip() for h in headers if h.strip()] == ["Title", "Status"]
    # another user neither sees nor opens a private view
    other = world.client("root")
    assert "Finished" not in other.get("/example/notes").get_data(as_text=True)
    assert other.get(f"/example/notes?view={view_id}").status_code == 404
    assert other.post("/example/notes/views/delete", data={
        "csrf_token": world.token(other), "view": str(view_id)}).status_code == 404
    # shared (needs the edit permission), everyone who may list notes sees it
    shared = sally.post("/example/notes/views", data={
        "csrf_token": token, "name": "Team", "shared": "1", "status": "open"})
    assert shared.status_code == 302
    assert "Team" in other.get("/example/notes").get_data(as_text=True)
    viewer = world.client("vic")
    assert viewer.post("/example/notes/views", data={
        "csrf_token": world.token(viewer), "name": "Mine", "shared": "1"}).status_code == 403
    # its owner deletes it
    gone = sally.post("/example/notes/views/delete", data={"csrf_token": token,
                                                          "view": str(view_id)},
                      follow_redirects=True)
    assert "View “Finished” deleted." in gone.get_data(as_text=True)
    assert sally.get(view_url).status_code == 404
    # a view of a bad filter is refused, not saved
    assert sally.post("/example/notes/views", data={
        "csrf_token": token, "name": "Bad", "priority_min": "lots"}).status_code == 400


def test_a_bulk_action_asks_first_then_changes_the_ticked_notes(world):
    ids = world.add_notes("sally", 3)
    client = world.client("sally")
    token = world.token(client)
    html = client.get("/example/notes").get_data(as_text=True)
    assert 'value="close"' in html and 'value="delete"' in html
    data = {"csrf_token": token, "action": "close", "ids": [str(i) for i in ids[:2]]}
    confirm = client.post("/example/notes/bulk", data=data)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "This changes 2 records:" in page
    assert 'name="step" value="run"' in page
    done = client.post("/example/notes/bulk", data={**data, "step": "run"},
                       follow_redirects=True)
    assert "2 records changed." in done.get_data(as_text=True)
    assert titles(client.get("/example/notes?status=done").get_data(as_text=True)) == [
        "Note 001", "Note 000"]
    deleted = client.post("/example/notes/bulk", data={
        "csrf_token": token, "action": "delete", "ids": [str(ids[2])], "step": "run"},
        follow_redirects=True)
    assert "1 record changed." in deleted.get_data(as_text=True)
    assert client.get(f"/example/notes/{ids[2]}").status_code == 404
    nothing = client.post("/example/notes/bulk", data={"csrf_token": token,
                                                       "action": "close"},
                          follow_redirects=True)
    assert "Tick at least one record." in nothing.get_data(as_text=True)


def _run_export(world, client, data, start_worker=None) -> tuple[Job, bytes]:
    """Start an export from the list; run it here (the default CSV of every note the user
    may see), or in a real worker when the request carries filters or a format."""
    started = client.post("/example/notes/export", data={"csrf_token": world.token(client),
                                                         **data})
    assert started.status_code == 302
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    if start_worker is None:
        with world.app.app_context():
            world.app.extensions["celery"].tasks["example.export_notes"](job_id=job_id)
    else:
        start_worker(world.app)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with world.app.app_context():
            job = get_session().get(Job, job_id)
            if job.state in ("done", "failed"):
                break
        time.sleep(0.1)
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200, job.error
    return job, download.get_data()


def test_the_export_job_writes_what_the_list_shows_within_the_scope(world):
    world.add_notes("sally", 3)
    world.add_notes("sally", 1, title="=HYPERLINK(x)", start=3, status="done")
    world.add_notes("wes", 2, title="West", start=5)
    client = world.client("sally")
    job, data = _run_export(world, client, {})
    assert job.state == "done" and job.message == "Exported 4 notes"
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "ID,Title,Body,Status,Priority,Owner,Created"
    assert [line.split(",")[1] for line in lines[1:]] == [
        "Note 000", "Note 001", "Note 002", "'=HYPERLINK(x) 003"]
    assert lines[1].split(",")[5] == "sally" and lines[4].split(",")[3] == "Done"
    assert client.post("/example/notes/export", data={
        "csrf_token": world.token(client), "format": "pdf"}).status_code == 400


@pytest.mark.worker
def test_the_export_job_follows_the_lists_filters_and_writes_xlsx(world, crm_start_worker):
    world.add_notes("sally", 3)
    world.add_notes("sally", 1, title="=HYPERLINK(x)", start=3, status="done")
    client = world.client("sally")
    job, data = _run_export(world, client, {"format": "xlsx", "status": "done"},
                            crm_start_worker)
    assert job.message == "Exported 1 note"
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:2] == ["ID", "Title"]
    assert len(rows) == 2 and rows[1][1] == "'=HYPERLINK(x) 003"
