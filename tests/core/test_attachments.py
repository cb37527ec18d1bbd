"""Attachments through the API and the record page's panel: the bytes come back as they
went in, as a download with safe headers; identical bytes are stored once; a file over the
limit or of a dangerous type is refused with the reason; a record outside the user's scope
answers 404 on every path; seeing is not editing (403); every upload and delete is logged."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from attachments_world import KIND, PDF, build_world, csrf_of

MAX_MB = 0.01  # 10 KB: the size tests stay small


@pytest.fixture
def world(crm_make_app):
    return build_world(crm_make_app(plugins=["customers"], CRM_MAX_UPLOAD_MB=MAX_MB))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def each_database_world(request, crm_make_app):
    """The world on SQLite, then (with CRM_TEST_DATABASE_URL) on PostgreSQL."""
    return build_world(crm_make_app(plugins=["customers"], database=request.param,
                                    CRM_MAX_UPLOAD_MB=MAX_MB))


def stored_files(world) -> list[Path]:
    root = Path(world.app.config["CRM_FILES_DIR"])
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_an_upload_comes_back_byte_for_byte_as_a_safe_download(each_database_world):
    world = each_database_world
    response = world.upload("sales", "East", PDF, "offer.pdf")
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert item["file_name"] == "offer.pdf" and item["size"] == len(PDF)
    assert item["content_type"] == "application/pdf"
    assert item["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert item["uploaded_by_id"] == world.users["sales"].id

    client = world.app.test_client()
    download = client.get(item["content_url"], headers=world.api("sales"))
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"] == 'attachment; filename="offer.pdf"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert "default-src 'none'" in download.headers["Content-Security-Policy"]
    assert download.mimetype == "application/pdf"

    listed = client.get(f"/api/v1/attachments?kind={KIND}&record_id={world.customers['East']}",
                        headers=world.api("sales")).get_json()
    assert [entry["id"] for entry in listed["items"]] == [item["id"]]
    assert listed["next_cursor"] is None
    meta = client.get(f"/api/v1/attachments/{item['id']}", headers=world.api("sales"))
    assert meta.get_json()["file_name"] == "offer.pdf"
    # the HTML download of the panel answers the same
    page = world.client("sales").get(f"/attachments/{item['id']}/download")
    assert page.data == PDF and page.headers["Content-Disposition"].startswith("attachment;")


def test_identical_bytes_are_stored_once_and_removed_with_the_last_attachment(
        each_database_world):
    world = each_database_world
    first = world.upload("sales", "East", PDF, "a.pdf").get_json()
    second = world.upload("west", "West", PDF, "b.pdf").get_json()
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]
    digest = first["sha256"]
    files = stored_files(world)
    assert [path.name for path in files] == [digest]
    assert files[0].parent.name == digest[2:4] and files[0].parent.parent.name == digest[:2]

    client = world.app.test_client()
    assert client.delete(f"/api/v1/attachments/{first['id']}",
                         headers=world.api("sales")).status_code == 204
    assert [path.name for path in stored_files(world)] == [digest]  # West still uses it
    assert client.get(second["content_url"], headers=world.api("west")).data == PDF
    assert client.delete(f"/api/v1/attachments/{second['id']}",
                         headers=world.api("west")).status_code == 204
    assert stored_files(world) == []


def test_a_file_over_the_size_limit_is_refused_on_the_api_and_on_the_form(world):
    big = b"x" * (int(MAX_MB * 1024 * 1024) + 1)
    response = world.upload("sales", "East", big, "big.txt")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "0.01 MB" in response.get_json()["errors"]["file"][0]

    browser = world.client("sales")
    token = csrf_of(browser.get(f"/customers/{world.customers['East']}").get_data(as_text=True))
    url = f"/attachments/{KIND}/{world.customers['East']}"
    form = {"csrf_token": token, "file": (io.BytesIO(big), "big.txt")}
    page = browser.post(url, data=form, content_type="multipart/form-data")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "is-invalid" in html and "larger than 0.01 MB" in html
    htmx = browser.post(url, data={"csrf_token": token, "file": (io.BytesIO(big), "big.txt")},
                        content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "larger than 0.01 MB" in htmx.get_data(as_text=True)
    assert stored_files(world) == []
    # far beyond the limit the edge refuses the body as a whole, still as a problem
    huge = world.upload("sales", "East", b"x" * (1024 * 1024 + 64 * 1024), "huge.txt")
    assert huge.status_code == 413 and huge.content_type == "application/problem+json"


def _pe() -> bytes:
    header = bytearray(b"MZ" + b"\x90\x00" * 29 + b"\x00" * 64)
    header[0x3C:0x40] = (0x80).to_bytes(4, "little")
    header = header[:0x80] + b"PE\x00\x00" + b"\x4c\x01\x03\x00" + b"\x00" * 200
    return bytes(header)


REFUSED = [
    pytest.param(_pe(), "setup.pdf", "Windows program", id="pe"),
    pytest.param(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120, "tool.dat", "Linux program",
                 id="elf"),
    pytest.param(b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 60, "app.bin2", "macOS",
                 id="macho"),
    pytest.param(b"#!/bin/sh\nrm -rf ~\n", "notes.txt", "#!", id="shebang"),
    pytest.param(b"<!doctype html><html><body><script>alert(1)</script></body></html>",
                 "page.html", "script", id="html-script"),
    pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
                 "logo.svg", "script", id="svg-onload"),
    pytest.param(b"MZ but text, harmless", "run.exe", ".exe", id="exe-name"),
    pytest.param(b"echo hi\r\n", "go.BAT", ".bat", id="bat-name"),
    pytest.param(b"<html><body>Invoice</body></html>", "invoice.pdf", "named .pdf",
                 id="html-named-pdf"),
]


@pytest.mark.parametrize(("data", "name", "reason"), REFUSED)
def test_dangerous_files_are_refused_with_the_reason(world, data, name, reason):
    response = world.upload("sales", "East", data, name)
    assert response.status_code == 422, response.get_json()
    message = response.get_json()["errors"]["file"][0]
    assert reason in message
    assert stored_files(world) == []


def test_harmless_text_and_markup_are_kept_with_their_sniffed_type(world):
    csv = world.upload("sales", "East", "名称,电话\n东方,123\n".encode(), "list.csv")
    assert csv.get_json()["content_type"] == "text/csv"
    svg = world.upload("sales", "East", b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
                       "logo.svg")
    assert svg.status_code == 201 and svg.get_json()["content_type"] == "image/svg+xml"
    text = world.upload("sales", "East", b"MZ Trading Ltd, 42 Main St", "address.txt")
    assert text.status_code == 201 and text.get_json()["content_type"] == "text/plain"


def test_a_record_outside_the_users_scope_answers_404_on_every_path(each_database_world):
    world = each_database_world
    west = world.upload("west", "West", PDF, "west.pdf").get_json()
    west_id, customer = west["id"], world.customers["West"]
    api, browser = world.app.test_client(), world.client("sales")
    headers = world.api("sales")
    assert api.get(f"/api/v1/attachments?kind={KIND}&record_id={customer}",
                   headers=headers).status_code == 404
    assert api.get(f"/api/v1/attachments/{west_id}", headers=headers).status_code == 404
    assert api.get(f"/api/v1/attachments/{west_id}/content", headers=headers).status_code == 404
    assert api.delete(f"/api/v1/attachments/{west_id}", headers=headers).status_code == 404
    assert world.upload("sales", "West", PDF, "x.pdf").status_code == 404
    assert browser.get(f"/attachments/{KIND}/{customer}").status_code == 404
    assert browser.get(f"/attachments/{west_id}/download").status_code == 404
    token = csrf_of(browser.get("/").get_data(as_text=True))
    assert browser.post(f"/attachments/{west_id}/delete",
                        data={"csrf_token": token}).status_code == 404
    assert browser.post(f"/attachments/{KIND}/{customer}", content_type="multipart/form-data",
                        data={"csrf_token": token, "file": (io.BytesIO(PDF), "x.pdf")}
                        ).status_code == 404
    # an unknown kind is no different
    assert api.get("/api/v1/attachments?kind=sales.contract&record_id=1",
                   headers=headers).status_code == 404
    assert browser.get(f"/attachments/nope.kind/{world.customers['East']}").status_code == 404
    # and West's file is still there for its owner
    assert api.get(f"/api/v1/attachments/{west_id}/content",
                   headers=world.api("west")).data == PDF


def test_seeing_a_record_is_not_editing_its_files(world):
    item = world.upload("sales", "East", PDF, "east.pdf").get_json()
    api = world.app.test_client()
    for name in ("viewer", "marketing"):  # no core.attachment.edit / no customers edit
        headers = world.api(name)
        listed = api.get(f"/api/v1/attachments?kind={KIND}&record_id={world.customers['East']}",
                         headers=headers)
        assert [entry["id"] for entry in listed.get_json()["items"]] == [item["id"]]
        assert api.get(item["content_url"], headers=headers).data == PDF
        assert world.upload(name, "East", PDF, "mine.pdf").status_code == 403
        assert api.delete(f"/api/v1/attachments/{item['id']}", headers=headers
                          ).status_code == 403
        browser = world.client(name)
        page = browser.get(f"/customers/{world.customers['East']}").get_data(as_text=True)
        assert "east.pdf" in page and 'name="file"' not in page  # no upload form, no delete
        token = csrf_of(page)
        assert browser.post(f"/attachments/{item['id']}/delete",
                            data={"csrf_token": token}).status_code == 403
    assert api.get(f"/api/v1/attachments/{item['id']}",
                   headers=world.api("sales")).status_code == 200


def test_deleting_removes_the_row_and_the_log_keeps_both_events_on_the_record(world):
    from sqlalchemy import select

    from crm_core.audit.models import AuditEntry
    from crm_core.db import get_session

    item = world.upload("sales", "East", PDF, "gone.pdf").get_json()
    api = world.app.test_client()
    assert api.delete(f"/api/v1/attachments/{item['id']}",
                      headers=world.api("sales")).status_code == 204
    assert api.get(f"/api/v1/attachments/{item['id']}",
                   headers=world.api("sales")).status_code == 404
    listed = api.get(f"/api/v1/attachments?kind={KIND}&record_id={world.customers['East']}",
                     headers=world.api("sales")).get_json()
    assert listed["items"] == []
    with world.app.app_context():
        entries = get_session().execute(
            select(AuditEntry.action, AuditEntry.model, AuditEntry.record_id,
                   AuditEntry.scope_id, AuditEntry.username)
            .where(AuditEntry.action.like("attachment_%")).order_by(AuditEntry.id)).all()
    customer = world.customers["East"]
    assert [tuple(entry) for entry in entries] == [
        ("attachment_added", "customers_customer", str(customer), customer, "user-sales"),
        ("attachment_deleted", "customers_customer", str(customer), customer, "user-sales")]


def test_non_ascii_names_are_kept_and_sent_back_per_rfc_5987(world):
    response = world.upload("sales", "East", PDF, "../合同 2024\u202e.pdf")
    item = response.get_json()
    assert item["file_name"] == "合同 2024.pdf"
    download = world.app.test_client().get(item["content_url"], headers=world.api("sales"))
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"2024.pdf\"; "
        "filename*=UTF-8''%E5%90%88%E5%90%8C%202024.pdf")
    page = world.client("sales").get(f"/customers/{world.customers['East']}")
    assert "合同 2024.pdf" in page.get_data(as_text=True)


def test_the_customer_page_panel_uploads_and_deletes_through_htmx(world):
    browser = world.client("sales")
    url = f"/customers/{world.customers['East']}"
    page = browser.get(url).get_data(as_text=True)
    assert "Attachments" in page and "No files attached yet." in page
    assert f'hx-post="/attachments/{KIND}/{world.customers["East"]}"' in page
    token = csrf_of(page)
    panel = browser.post(f"/attachments/{KIND}/{world.customers['East']}",
                         content_type="multipart/form-data", headers={"HX-Request": "true"},
                         data={"csrf_token": token, "next": url,
                               "file": (io.BytesIO(b"minutes of the meeting\n"), "notes.txt")})
    assert panel.status_code == 200
    html = panel.get_data(as_text=True)
    assert html.lstrip().startswith("<section") and "notes.txt" in html
    assert "text/plain" in html and "23 B" in html and "No files attached yet." not in html
    attachment_id = int(re.search(r"/attachments/(\d+)/download", html).group(1))
    assert 'data-confirm="Delete the file notes.txt?"' in html
    refreshed = browser.get(f"/attachments/{KIND}/{world.customers['East']}")
    assert "notes.txt" in refreshed.get_data(as_text=True)
    gone = browser.post(f"/attachments/{attachment_id}/delete", headers={"HX-Request": "true"},
                        data={"csrf_token": token, "next": url})
    assert gone.status_code == 200 and "No files attached yet." in gone.get_data(as_text=True)
    # without htmx the browser goes back to the record's page
    back = browser.post(f"/attachments/{KIND}/{world.customers['East']}",
                        content_type="multipart/form-data",
                        data={"csrf_token": token, "next": url,
                              "file": (io.BytesIO(PDF), "offer.pdf")})
    assert back.status_code == 302 and back.headers["Location"].endswith(url)
    offsite = browser.post(f"/attachments/{KIND}/{world.customers['East']}",
                           content_type="multipart/form-data",
                           data={"csrf_token": token, "next": "//evil.example/",
                                 "file": (io.BytesIO(PDF), "again.pdf")})
    assert offsite.status_code == 200 and "evil" not in offsite.headers.get("Location", "")


def test_the_openapi_document_describes_the_attachment_routes(world):
    spec = world.app.test_client().get("/api/v1/openapi.json",
                                       headers=world.api("sales")).get_json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/attachments"])
    upload = paths["/api/v1/attachments"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["kind", "record_id", "file"]
    assert body["properties"]["file"]["format"] == "binary"
    assert {"201", "403", "404", "413", "422"} <= set(upload["responses"])
    assert {"get", "delete"} <= set(paths["/api/v1/attachments/{attachment_id}"])
    content = paths["/api/v1/attachments/{attachment_id}/content"]["get"]
    assert content["responses"]["200"]["content"]["*/*"]["schema"]["format"] == "binary"
