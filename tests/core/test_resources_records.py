"""A Resource's record pages and API (the example plugin's notes): create, edit and delete
with field errors and confirmation, soft delete, the detail page with its history, the API
with problem+json and OpenAPI, 404 outside the scope on every generated path, 403 per
action."""

from __future__ import annotations

import re

import pytest
from resources_world import build, csrf
from sqlalchemy import select

from crm_core.db import get_session

pytestmark = pytest.mark.crm_plugins("example")


@pytest.fixture
def world(crm_app):
    return build(crm_app)


def test_create_edit_and_delete_a_note_through_its_pages(world):
    client = world.client("sally")
    form = client.get("/example/notes/new").get_data(as_text=True)
    assert 'name="title"' in form and 'maxlength="200"' in form and 'name="status"' in form
    refused = client.post("/example/notes", data={"csrf_token": csrf(form), "title": " ",
                                                   "body": "kept", "priority": "many"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert html.count("is-invalid") == 2 and "kept" in html  # title and priority
    added = client.post("/example/notes", data={"csrf_token": csrf(form), "title": "Plan",
                                                 "status": "open", "priority": "3"})
    assert added.status_code == 302
    url = added.headers["Location"]
    note_id = int(url.rsplit("/", 1)[1])
    detail = client.get(url).get_data(as_text=True)
    assert "“Plan” added." in detail and "sally" in detail  # the owner's name

    edit = client.get(f"{url}/edit").get_data(as_text=True)
    assert 'value="Plan"' in edit
    too_long = client.post(f"{url}/edit", data={"csrf_token": csrf(edit), "title": "x" * 201})
    assert too_long.status_code == 400 and "is-invalid" in too_long.get_data(as_text=True)
    saved = client.post(f"{url}/edit", data={"csrf_token": csrf(edit), "title": "Plan B",
                                              "status": "done", "priority": "4"},
                        follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert "“Plan B” saved." in page and "Done" in page
    # the history panel shows the insert and the update, newest first
    history = page[page.index("crm-audit-history"):]
    assert len(re.findall(r'<li class="list-group-item small">', history)) == 2
    assert 'title="update"' in history and 'title="insert"' in history

    confirm = client.get(f"{url}/delete").get_data(as_text=True)
    assert "Delete Plan B?" in confirm and "its history stays" in confirm
    deleted = client.post(f"{url}/delete", data={"csrf_token": csrf(confirm)},
                          follow_redirects=True)
    assert "“Plan B” deleted." in deleted.get_data(as_text=True)
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/example/notes/{note_id}").status_code == 404
    assert "Plan B" not in client.get("/example/notes").get_data(as_text=True)
    # soft delete: the row stays, marked
    from crm_plugin_example.models import Note

    with world.app.app_context():
        row = get_session().scalar(select(Note).where(Note.id == note_id))
        assert row is not None and row.deleted_at is not None


def test_the_api_creates_reads_changes_and_deletes_with_problem_json(world):
    client = world.client("sally")
    token = world.token(client)
    headers = {"X-CSRFToken": token}
    refused = client.post("/api/v1/example/notes", json={"title": "", "status": "maybe",
                                                         "priority": 2**40}, headers=headers)
    assert refused.status_code == 422, refused.get_json()
    assert refused.content_type == "application/problem+json"
    assert set(refused.get_json()["errors"]) == {"title", "status", "priority"}
    created = client.post("/api/v1/example/notes", json={"title": "API note", "body": "b"},
                          headers=headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["title"] == "API note" and body["status"] == "open"
    assert body["owner_id"] == world.users["sally"].id
    one = f"/api/v1/example/notes/{body['id']}"
    assert client.get(one).get_json()["body"] == "b"
    changed = client.patch(one, json={"priority": 9}, headers=headers)
    assert changed.status_code == 200
    assert changed.get_json()["priority"] == 9 and changed.get_json()["title"] == "API note"
    assert client.patch(one, json={"status": "x"}, headers=headers).status_code == 422
    assert client.delete(one, headers=headers).status_code == 204
    missing = client.get(one)
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"

    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/example/notes"]) == {"get", "post"}
    assert set(paths["/api/v1/example/notes/{note_id}"]) == {"get", "patch", "delete"}
    listed = paths["/api/v1/example/notes"]["get"]
    assert "example.note.view" in listed["description"]
    assert "422" in paths["/api/v1/example/notes"]["post"]["responses"]


def test_every_generated_path_answers_404_for_a_note_outside_the_scope(world):
    [west_note] = world.add_notes("wes", 1, title="West secret")
    client = world.client("sally")  # East sales: own notes only
    headers = {"X-CSRFToken": world.token(client)}
    token = world.token(client)
    base = f"/example/notes/{west_note}"
    for url in (base, f"{base}/edit", f"{base}/delete", f"/api/v1/example/notes/{west_note}",
                "/example/notes/999999", "/api/v1/example/notes/99999999999"):
        assert client.get(url).status_code == 404, url
    for url in (f"{base}/edit", f"{base}/delete"):
        assert client.post(url, data={"csrf_token": token, "title": "x"}).status_code == 404
    api = f"/api/v1/example/notes/{west_note}"
    assert client.patch(api, json={"title": "x"}, headers=headers).status_code == 404
    assert client.delete(api, headers=headers).status_code == 404
    # nor do the list, the search, a bulk action or an export reach it
    assert "West secret" not in client.get("/example/notes?q=West").get_data(as_text=True)
    bulk = client.post("/example/notes/bulk", data={"csrf_token": token, "action": "close",
                                                    "ids": [str(west_note)], "step": "run"})
    assert bulk.status_code == 302
    from crm_plugin_example.models import Note

    with world.app.app_context():
        assert get_session().get(Note, west_note).status == "open"


def test_each_action_needs_its_own_permission(world):
    [note_id] = world.add_notes("vic", 1)
    viewer, marketer = world.client("vic"), world.client("mia")
    token = world.token(viewer)
    assert viewer.get(f"/example/notes/{note_id}").status_code == 200
    page = viewer.get(f"/example/notes/{note_id}").get_data(as_text=True)
    assert "/edit" not in page and "/delete" not in page
    for url in ("/example/notes/new", f"/example/notes/{note_id}/edit",
                f"/example/notes/{note_id}/delete"):
        assert viewer.get(url).status_code == 403, url
    for url, data in (("/example/notes", {"title": "x"}), ("/example/notes/export", {}),
                      (f"/example/notes/{note_id}/edit", {"title": "x"}),
                      (f"/example/notes/{note_id}/delete", {}),
                      ("/example/notes/bulk", {"action": "delete", "ids": str(note_id)})):
        assert viewer.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    headers = {"X-CSRFToken": token}
    assert viewer.post("/api/v1/example/notes", json={"title": "x"},
                       headers=headers).status_code == 403
    assert viewer.delete(f"/api/v1/example/notes/{note_id}",
                         headers=headers).status_code == 403
    # a marketer exports but may not add
    mia_token = world.token(marketer)
    assert marketer.post("/example/notes/export",
                         data={"csrf_token": mia_token}).status_code == 302
    assert marketer.post("/example/notes", data={"csrf_token": mia_token,
                                                 "title": "x"}).status_code == 403
    assert marketer.get("/api/v1/example/notes").status_code == 200


def test_the_detail_page_shows_sections_and_the_history_of_the_note(world):
    client = world.client("sally")
    token = world.token(client)
    created = client.post("/api/v1/example/notes", json={"title": "Histo", "priority": 1},
                          headers={"X-CSRFToken": token}).get_json()
    client.patch(f"/api/v1/example/notes/{created['id']}", json={"priority": 2},
                 headers={"X-CSRFToken": token})
    page = client.get(f"/example/notes/{created['id']}").get_data(as_text=True)
    assert "Priority" in page and "History" in page
    history = page[page.index("crm-audit-history"):]
    assert len(re.findall(r'<li class="list-group-item small">', history)) == 2
    assert ">Priority</span>:" in history  # the field's label, not its column name


def test_an_owner_that_does_not_exist_is_a_field_error_not_a_crash(world):
    client = world.client("sally")
    token = world.token(client)
    refused = client.post("/api/v1/example/notes", json={"title": "x", "owner_id": 999999},
                          headers={"X-CSRFToken": token})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"owner_id": ["Not a valid choice."]}
    form = client.post("/example/notes", data={"csrf_token": token, "title": "x",
                                                "owner_id": "999999"})
    assert form.status_code == 400 and "is-invalid" in form.get_data(as_text=True)
    # choosing an owner puts the note in the owner's department
    wes = world.users["wes"]
    moved = client.post("/api/v1/example/notes", json={"title": "For Wes", "owner_id": wes.id},
                        headers={"X-CSRFToken": token}).get_json()
    from crm_plugin_example.models import Note

    with world.app.app_context():
        assert get_session().get(Note, moved["id"]).department_id == wes.department_id
