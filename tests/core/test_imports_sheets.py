"""The import wizard with a workbook of several sheets, and a report's total rows."""

from __future__ import annotations

import io
import re

import pytest
from imports_testing import install, run_queued, titles
from openpyxl import Workbook
from test_imports_web import BASE, mapping, token, upload, user_client

from crm_core.db import get_session
from crm_core.imports.models import TabularImport

pytestmark = pytest.mark.crm_plugins("example")
NOTES = [["标题", "正文", "类别"], ["Alpha", "a", "重点"], ["Beta", "b", ""],
         ["合计", "", ""], ["共 2 条", "", ""]]


@pytest.fixture
def app(crm_app):
    install(crm_app)
    return crm_app


def workbook_bytes(first: list[list[str]] | None = None) -> bytes:
    """A workbook of notes on its second sheet; the first explains how to fill it in."""
    book = Workbook()
    book.active.title = "填写说明"
    for row in first or [["请在“便签”页填写，每行一条"]]:
        book.active.append(row)
    notes = book.create_sheet("便签")
    for row in NOTES:
        notes.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload_workbook(client, first=None) -> int:
    page = client.get(f"{BASE}/new")
    answer = client.post(f"{BASE}/new", data={"csrf_token": token(page),
                                             "file": (io.BytesIO(workbook_bytes(first)),
                                                      "notes.xlsx")},
                         content_type="multipart/form-data")
    assert answer.status_code == 302
    return int(answer.headers["Location"].rsplit("/", 1)[-1])


def choose_sheet(client, import_id, name):
    page = client.get(f"{BASE}/{import_id}")
    return client.post(f"{BASE}/{import_id}/sheet",
                       data={"csrf_token": token(page), "sheet": name})


def test_another_sheet_is_read_mapped_and_imported_without_its_total_rows(app):
    alice = user_client(app, "alice", ["sales"])
    # the first sheet names a column of notes too (标题1): it is read until the user
    # chooses the other
    import_id = upload_workbook(alice, [["标题1", "说明"], ["x", "y"]])
    run_queued(app, import_id)  # reads the header of the first sheet
    page = alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert re.search(r'<option selected value="填写说明">填写说明</option>\s*'
                     r'<option value="便签">便签</option>', page), page
    assert "This workbook has 2 sheets; the columns below are those of the sheet 填写说明" \
        in page
    assert choose_sheet(alice, import_id, "便签").status_code == 302
    run_queued(app, import_id)  # reads the chosen sheet
    page = alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert re.search(r'name="col_0".*?selected[^>]*value="title"', page, re.S)
    assert '<option selected value="便签">' in page
    assert alice.post(f"{BASE}/{import_id}", data=mapping(alice, import_id)).status_code == 302
    run_queued(app, import_id)  # the check
    checked = alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "names a total (合计)" in checked and "names a total (共 2 条)" in checked
    assert alice.post(f"{BASE}/{import_id}",
                      data=mapping(alice, import_id, action="run")).status_code == 302
    run_queued(app, import_id)
    assert titles(app) == ["Alpha", "Beta"]
    with app.app_context():
        imp = get_session().get(TabularImport, import_id)
        assert (imp.total, imp.created, imp.skipped, imp.failed) == (4, 2, 2, 0)


def test_a_first_sheet_of_instructions_is_passed_over_for_the_sheet_of_columns(app):
    alice = user_client(app, "alice", ["sales"])
    import_id = upload_workbook(alice)
    run_queued(app, import_id)
    page = alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert '<option selected value="便签">' in page
    assert re.search(r'name="col_0".*?selected[^>]*value="title"', page, re.S)


def test_only_a_sheet_of_the_workbook_and_only_by_its_owner_can_be_chosen(app):
    alice = user_client(app, "alice", ["sales"])
    import_id = upload_workbook(alice)
    run_queued(app, import_id)
    answer = choose_sheet(alice, import_id, "../etc")
    assert answer.status_code == 302
    assert "Not a valid choice" in alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
    with app.app_context():
        imp = get_session().get(TabularImport, import_id)
        assert (imp.status, imp.mapping["sheet"]) == ("uploaded", "便签")
    assert alice.post(f"{BASE}/{import_id}/sheet", data={"sheet": "便签"}).status_code == 400
    bob = user_client(app, "bob", ["sales"])
    assert bob.post(f"{BASE}/{import_id}/sheet",
                    data={"csrf_token": token(bob.get(f"{BASE}/new")),
                          "sheet": "便签"}).status_code == 404


def test_a_csv_file_offers_no_sheet(app):
    alice = user_client(app, "alice", ["sales"])
    import_id = upload(alice)
    run_queued(app, import_id)
    assert 'id="import-sheet"' not in alice.get(f"{BASE}/{import_id}").get_data(as_text=True)


def test_a_sheet_that_cannot_be_imported_leaves_the_mapping_read_before(app):
    alice = user_client(app, "alice", ["sales"])
    book = Workbook()
    book.active.title = "便签"
    for row in NOTES:
        book.active.append(row)
    book.create_sheet("电话").append(["13812345678", "a@example.com"])  # data, no header
    out = io.BytesIO()
    book.save(out)
    page = alice.get(f"{BASE}/new")
    answer = alice.post(f"{BASE}/new", data={"csrf_token": token(page),
                                             "file": (io.BytesIO(out.getvalue()), "n.xlsx")},
                        content_type="multipart/form-data")
    import_id = int(answer.headers["Location"].rsplit("/", 1)[-1])
    run_queued(app, import_id)
    assert choose_sheet(alice, import_id, "电话").status_code == 302
    run_queued(app, import_id)
    page = alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "The sheet 电话 cannot be imported: The first row of the file should name" in page
    assert "still those of the sheet 便签" in page
    assert re.search(r'name="col_0".*?selected[^>]*value="title"', page, re.S)
    with app.app_context():
        imp = get_session().get(TabularImport, import_id)
        assert (imp.status, imp.mapping["sheet"]) == ("uploaded", "便签")
    assert choose_sheet(alice, import_id, "便签").status_code == 302  # and on from there
    run_queued(app, import_id)
    assert "cannot be imported" not in alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
