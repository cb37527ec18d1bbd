"""The example's use of the kernel's shared services: files on a note, asking for approval
from the list, and telling an owner that their note was closed."""

from __future__ import annotations

import io
import re

import pytest

from crm_core.testing import create_test_user, login

pytestmark = pytest.mark.crm_plugins("example")


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def run_bulk(client, action: str, note_id: int):
    token = csrf(client.get("/example/notes").get_data(as_text=True))
    return client.post("/example/notes/bulk", data={
        "csrf_token": token, "action": action, "ids": [str(note_id)], "step": "run"},
        follow_redirects=True)


@pytest.fixture
def owner_and_note(crm_app, crm_client_as):
    owner = crm_client_as("sales", department="North", username="olga")
    page = owner.get("/example/notes/new").get_data(as_text=True)
    created = owner.post("/example/notes", data={
        "csrf_token": csrf(page), "title": "Quarterly review", "body": "Numbers",
        "status": "open", "priority": "7"})
    assert created.status_code == 302, created.get_data(as_text=True)
    note_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    return owner, note_id


def test_a_note_page_has_its_files_and_an_uploaded_file_is_listed(owner_and_note):
    owner, note_id = owner_and_note
    page = owner.get(f"/example/notes/{note_id}").get_data(as_text=True)
    assert "Files" in page and "Approvals" in page
    token = csrf(page)
    upload = owner.post("/api/v1/attachments", headers={"X-CSRFToken": token}, data={
        "kind": "example.note", "record_id": str(note_id),
        "file": (io.BytesIO(b"minutes of the meeting\n"), "纪要.txt")},
        content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_data(as_text=True)
    assert "纪要.txt" in owner.get(f"/example/notes/{note_id}").get_data(as_text=True)


def test_closing_someone_elses_note_notifies_its_owner(crm_app, owner_and_note):
    owner, note_id = owner_and_note
    admin = login(crm_app.test_client(), create_test_user(crm_app, "boss", superuser=True))
    assert "1 record changed." in run_bulk(admin, "close", note_id).get_data(as_text=True)
    notices = owner.get("/api/v1/notifications").get_json()["items"]
    assert [item["title"] for item in notices] == ["boss marked your note done: "
                                                   "Quarterly review"]
    assert notices[0]["link"] == f"/example/notes/{note_id}"
    # closing one's own note tells nobody
    assert run_bulk(owner, "close", note_id).status_code == 200
    assert len(owner.get("/api/v1/notifications").get_json()["items"]) == 1


def test_asking_for_approval_from_the_list_and_approving_closes_the_note(
        crm_app, owner_and_note, crm_client_as):
    owner, note_id = owner_and_note
    # without a rule for notes, nothing waits
    run_bulk(owner, "approve", note_id)
    assert owner.get("/api/v1/approvals?status=pending").get_json()["items"] == []

    approver = crm_client_as("manager", department="North", username="mona", api=True)
    admin = login(crm_app.test_client(), create_test_user(crm_app, "root", superuser=True))
    form = admin.get("/admin/approvals/new").get_data(as_text=True)
    assert "example.note" in form
    saved = admin.post("/admin/approvals/new", data={
        "csrf_token": csrf(form), "name": "Important notes", "subject_kind": "example.note",
        "min_amount": "5", "condition": "", "active": "y", "priority": "100",
        "description": "",
        "steps-0-label": "Manager", "steps-0-approver_kind": "role",
        "steps-0-role_name": "manager", "steps-0-mode": "any"})
    assert saved.status_code == 302, re.findall(r'invalid-feedback[^>]*>([^<]+)',
                                                saved.get_data(as_text=True))

    run_bulk(owner, "approve", note_id)
    waiting = approver.get("/api/v1/approvals?status=pending&mine=1").get_json()["items"]
    assert [(item["subject_kind"], item["subject_id"]) for item in waiting] == [
        ("example.note", note_id)]
    decided = approver.post(f"/api/v1/approvals/{waiting[0]['id']}/approve",
                            json={"comment": "Fine"})
    assert decided.status_code == 200, decided.get_data(as_text=True)
    note = owner.get(f"/api/v1/example/notes/{note_id}").get_json()
    assert note["status"] == "done"
    assert "Fine" in owner.get(f"/example/notes/{note_id}").get_data(as_text=True)
