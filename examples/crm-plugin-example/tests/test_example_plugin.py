"""The example plugin, tested as a plugin author would, with crm_core.testing's fixtures."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from sqlalchemy import inspect

from crm_core.migrate import differences, pending_branches, upgrade
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, invoke_cli, login

pytestmark = pytest.mark.crm_plugins("example")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def client_with_roles(app, username, *roles):
    """A test client signed in as a new user holding just the kernel's ``roles``."""
    user = create_test_user(app, username)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        assign_roles(session, user.id, list(roles))
        session.commit()
        session.close()
    return login(app.test_client(), user)


def test_plugin_is_found_through_its_entry_point(crm_app):
    record = crm_app.extensions["crm"].known["example"]
    assert record.source == "entry point"
    assert record.enabled and record.info.title == "Example notes"
    # the notes Resource gives 14 pages (relation choices too) and 5 API routes, 6 permissions
    # (import too), a menu entry and the export task
    assert crm_app.extensions["crm"].counts("example") == {
        "models": 1, "routes": 19, "permissions": 6, "menu_items": 1, "widgets": 1, "tasks": 1}


def test_migration_creates_the_notes_table(crm_app):
    tables = inspect(crm_app.extensions["crm_db"].engine).get_table_names()
    assert "example_note" in tables
    with crm_app.app_context():
        assert pending_branches(crm_app) == []
        assert differences(crm_app) == []


def test_notes_page_adds_a_note_and_lists_it(crm_app, admin_client):
    page = admin_client.get("/example/notes")
    assert page.status_code == 200
    assert "Nothing to show." in page.get_data(as_text=True)

    form = admin_client.get("/example/notes/new").get_data(as_text=True)
    added = admin_client.post("/example/notes", data={
        "csrf_token": csrf_token(form), "title": "Call back ACME 北京",
        "body": "about the renewal"}, follow_redirects=True)
    html = added.get_data(as_text=True)
    assert added.status_code == 200
    assert "“Call back ACME 北京” added." in html and "about the renewal" in html
    assert "Call back ACME 北京" in admin_client.get("/example/notes").get_data(as_text=True)


def test_note_without_title_shows_a_field_error_and_keeps_the_body(admin_client):
    page = admin_client.get("/example/notes/new")
    response = admin_client.post("/example/notes", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "title": "  ", "body": "kept"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is-invalid" in html and "kept" in html


def test_form_post_without_csrf_token_is_refused(admin_client):
    response = admin_client.post("/example/notes", data={"title": "sneaky"})
    assert response.status_code == 400
    assert "sneaky" not in admin_client.get("/example/notes").get_data(as_text=True)


def test_a_viewer_gets_403_on_every_write_route(crm_app):
    viewer = client_with_roles(crm_app, "vera", "viewer")
    listed = viewer.get("/example/notes")
    html = listed.get_data(as_text=True)
    assert listed.status_code == 200
    # neither "New" nor the export is offered; the token of the page's layout is valid
    assert 'href="/example/notes/new"' not in html and 'action="/example/notes/export"' not in html
    token = csrf_token(html)
    added = viewer.post("/example/notes", data={"csrf_token": token, "title": "Sneaky"})
    assert added.status_code == 403
    assert viewer.post("/example/notes/export", data={"csrf_token": token}).status_code == 403
    assert crm_app.test_cli_runner().invoke(args=["example", "count"]).output.strip() == "0"


def test_a_sales_rep_adds_a_note_and_exports(crm_app):
    sales = client_with_roles(crm_app, "sam", "sales")
    page = sales.get("/example/notes").get_data(as_text=True)
    assert 'href="/example/notes/new"' in page and 'action="/example/notes/export"' in page
    added = sales.post("/example/notes", data={"csrf_token": csrf_token(page),
                                                "title": "Quote for Globex"})
    assert added.status_code == 302
    assert re.fullmatch(r"/example/notes/\d+", added.headers["Location"])
    assert "Quote for Globex" in sales.get("/example/notes").get_data(as_text=True)
    started = sales.post("/example/notes/export", data={"csrf_token": csrf_token(page)})
    assert started.status_code == 302
    assert re.fullmatch(r"/jobs/\d+", started.headers["Location"])


def test_a_marketer_exports_but_may_not_add(crm_app):
    marketer = client_with_roles(crm_app, "mia", "marketing")
    page = marketer.get("/example/notes").get_data(as_text=True)
    assert 'href="/example/notes/new"' not in page and 'action="/example/notes/export"' in page
    token = csrf_token(page)
    assert marketer.post("/example/notes", data={"csrf_token": token,
                                                  "title": "No"}).status_code == 403
    assert marketer.post("/example/notes/export", data={"csrf_token": token}).status_code == 302


def test_menu_item_and_widget_appear_on_the_dashboard(admin_client):
    home = admin_client.get("/").get_data(as_text=True)
    assert 'href="/example/notes"' in home
    assert "Notes per day" in home
    widget = admin_client.get("/api/v1/widgets/example.notes_per_day").get_json()
    assert widget["kind"] == "bar"
    assert len(widget["data"]["labels"]) == 7
    assert widget["data"]["labels"][-1] == dt.datetime.now(dt.UTC).date().isoformat()


def test_cli_command_adds_and_counts_notes(crm_app):
    runner = crm_app.test_cli_runner()
    result = runner.invoke(args=["example", "add-note", "From the CLI"])
    assert result.exit_code == 0, result.output
    assert "Added note 1: From the CLI" in result.output
    assert runner.invoke(args=["example", "count"]).output.strip() == "1"


@pytest.mark.worker
def test_export_job_runs_in_a_worker_and_writes_the_csv(crm_app, admin_client, crm_start_worker):
    runner = crm_app.test_cli_runner()
    for title in ("one", "two", "three"):
        runner.invoke(args=["example", "add-note", title])
    page = admin_client.get("/example/notes")
    started = admin_client.post("/example/notes/export",
                                data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert started.status_code == 302
    job_url = started.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)
    crm_start_worker(crm_app)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = admin_client.get(f"/api/v1{job_url}").get_json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["state"] == "done", job
    assert job["message"] == "Exported 3 notes"
    assert "result_file" not in job
    assert job["download_url"] == f"{job_url}/download"
    download = admin_client.get(job["download_url"])
    assert download.status_code == 200
    lines = download.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == "ID,Title,Body,Status,Priority,Owner,Created"
    assert [line.split(",")[1] for line in lines[1:]] == ["one", "two", "three"]


def test_plugin_vanishes_cleanly_when_disabled(crm_make_app):
    app = crm_make_app(plugins=["example"])
    engine_url = app.config["CRM_DATABASE_URL"]
    disabled = crm_make_app(plugins=[], migrate=False, CRM_DATABASE_URL=engine_url)
    platform = disabled.extensions["crm"]
    assert "example" not in platform.names
    assert platform.known["example"].enabled is False
    assert "example.export_notes" not in platform.tasks
    assert not any(owner == "example" for owner, _ in platform.menu_items.values())
    with disabled.app_context():
        upgrade(disabled)
        # its table stays in the database but is no concern of the running app
        assert differences(disabled) == []
        assert pending_branches(disabled) == []
    client = login(disabled.test_client(), create_test_user(disabled, "a", superuser=True))
    assert client.get("/example/notes").status_code == 404
    assert 'href="/example/notes"' not in client.get("/").get_data(as_text=True)
    assert "example" not in [c for c in disabled.cli.commands]


def test_seed_fills_demo_notes_and_search_finds_them(crm_app, admin_client):
    result = invoke_cli(crm_app, "seed", "--size", "20")
    assert result.exit_code == 0, result.output
    assert "example" in result.output
    found = admin_client.get("/api/v1/search?q=上海华信").get_json()["items"]
    assert len(found) == 5
    assert all("上海华信" in hit["title"] and hit["kind"] == "note" for hit in found)
    assert admin_client.get("/api/v1/search?q=50%25").get_json()["items"] == []
    assert len(admin_client.get("/api/v1/search?q=acme&limit=2").get_json()["items"]) == 2
