"""Hostile and broken files through the import: the web request only stores the upload, the
job refuses bombs, DTDs and bad encodings with a clear message, a failed write shows no SQL,
and the bad-rows file runs no formula in a spreadsheet yet imports again as it was."""

from __future__ import annotations

import csv
import io
import logging
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from test_import_data import HEADERS, write_csv
from test_import_web import BASE, admin, run_job, token, upload, uploaded  # noqa: F401

from crm_core.db import get_session
from crm_core.imports.models import TabularImport as CustomerImport
from crm_core.jobs.models import Job
from crm_core.tabular import text as tabular_text
from crm_core.tabular import xlsx as tabular_xlsx
from plugins.customers.models import Customer

sys.path.insert(0, str(Path(__file__).parents[2] / "core"))
from tabular_files import empty_rows, inline_row, shared_strings, sheet_xml, workbook  # noqa: E402


def imported(app, import_id) -> CustomerImport:
    with app.app_context():
        imp = get_session().get(CustomerImport, import_id)
        get_session().expunge(imp)
        return imp


def forbid_reading(monkeypatch):
    """Make any attempt to open an uploaded table fail loudly (the web must not try)."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the web request opened the uploaded file")
    monkeypatch.setattr(tabular_xlsx.XlsxRows, "__init__", refuse)
    monkeypatch.setattr(tabular_text.CsvRows, "__init__", refuse)


@pytest.mark.parametrize(("name", "build", "message"), [
    ("strings.xlsx", lambda path: workbook(path, sheet_xml([inline_row(1, "客户名称")]),
                                           shared_strings(10_000_000, declared=False)),
     "zip bomb"),
    ("rows.xlsx", lambda path: workbook(path, empty_rows(2_000_000)), "zip bomb"),
    ("dtd.xlsx", lambda path: workbook(path, sheet_xml(
        [inline_row(1, "客户名称")], prolog='<!DOCTYPE x [<!ENTITY a "b">]>')),
     "contains a DTD"),
], ids=["shared-strings", "rows", "dtd"])
def test_the_web_request_only_stores_a_hostile_workbook_and_the_job_refuses_it(
        customers_app, admin, tmp_path, monkeypatch, name, build, message):  # noqa: F811
    content = build(tmp_path / name).read_bytes()
    with monkeypatch.context() as patched:
        forbid_reading(patched)
        started = time.monotonic()
        answer = upload(admin, content, name)
        assert answer.status_code == 302 and time.monotonic() - started < 2
    import_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert imported(customers_app, import_id).status == "reading"
    started = time.monotonic()
    run_job(customers_app, import_id)
    assert time.monotonic() - started < 5
    imp = imported(customers_app, import_id)
    assert imp.status == "failed" and message in imp.message
    page = admin.get(f"{BASE}/{import_id}")
    assert page.status_code == 200 and message in page.get_data(as_text=True)


def test_a_late_bad_byte_stops_the_check_at_its_row(customers_app, admin, tmp_path):  # noqa: F811
    lines = ["客户名称,手机\r\n".encode()] + [
        f"北京华宇科技{number},1381234{number:04d}\r\n".encode() for number in range(3000)]
    lines[2877] = lines[2877].replace("华".encode(), b"\xff")
    import_id = uploaded(customers_app, admin, b"".join(lines), "late.csv")
    assert imported(customers_app, import_id).encoding == "utf-8"
    page = admin.get(f"{BASE}/{import_id}")
    data = {"csrf_token": token(page), "mode": "insert", "key": "", "action": "check",
            "col_0": "name", "col_1": "phones"}
    admin.post(f"{BASE}/{import_id}", data=data)
    run_job(customers_app, import_id)
    imp = imported(customers_app, import_id)
    assert imp.status == "failed"
    assert imp.message.startswith("Row 2878 is not valid UTF-8 text.")


def test_a_file_whose_start_is_no_known_encoding_gets_a_message(customers_app, admin):  # noqa: F811
    import_id = uploaded(customers_app, admin, b"\x80\xff\x80\xff," * 3000 + b"\r\n", "x.csv")
    imp = imported(customers_app, import_id)
    assert imp.status == "failed" and "is not valid GB18030/GBK text" in imp.message


def test_a_failed_write_shows_a_message_and_logs_the_sql(customers_app, admin, tmp_path,  # noqa: F811
                                                         caplog):
    with customers_app.app_context():
        session = get_session()
        session.execute(text(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON customers_customer "
            "WHEN NEW.name = '炸弹公司' BEGIN SELECT RAISE(ABORT, 'secret detail'); END"))
        session.commit()
    content = write_csv(tmp_path / "f.csv", [["炸弹公司", "B1", "", "", "", "", "", ""]]
                        ).read_bytes()
    import_id = uploaded(customers_app, admin, content, "f.csv")
    page = admin.get(f"{BASE}/{import_id}")
    admin.post(f"{BASE}/{import_id}", data={
        "csrf_token": token(page), "mode": "insert", "key": "", "action": "check",
        **{f"col_{index}": field for index, field in enumerate(
            ["name", "code", "", "", "", "", "", ""])}})
    run_job(customers_app, import_id)
    admin.post(f"{BASE}/{import_id}/run",
               data={"csrf_token": token(admin.get(f"{BASE}/{import_id}"))})
    caplog.set_level(logging.ERROR)
    with pytest.raises(Exception, match="secret detail"):
        with customers_app.app_context():
            from crm_core.imports.jobs import import_task
            from crm_core.toolkit import JobHandle

            job_id = get_session().get(CustomerImport, import_id).job_id
            import_task(JobHandle(job_id), import_id, "run")
    imp = imported(customers_app, import_id)
    assert imp.status == "failed" and f"import {import_id} in the log" in imp.message
    shown = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    for secret in ("secret detail", "INSERT", "炸弹公司', "):
        assert secret not in shown and secret not in imp.message
    assert any("secret detail" in (record.exc_text or str(record.exc_info))
               for record in caplog.records if f"import {import_id}" in record.getMessage())
    with customers_app.app_context():
        job = get_session().get(Job, imp.job_id)
        assert "secret detail" not in (job.error or "")


FORMULAS = {"name": '=HYPERLINK("http://evil.example","点我")', "industry": "+1+1",
            "notes": "@SUM(A1:A9)"}


def test_the_bad_rows_file_runs_no_formula_and_imports_again(customers_app, admin,  # noqa: F811
                                                             tmp_path):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADERS, [FORMULAS["name"], "F1", "1381234", "", "",
                                            FORMULAS["industry"], "", FORMULAS["notes"]]])
    import_id = uploaded(customers_app, admin, buffer.getvalue().encode(), "f.csv")
    page = admin.get(f"{BASE}/{import_id}")
    admin.post(f"{BASE}/{import_id}", data={
        "csrf_token": token(page), "mode": "insert", "key": "", "action": "check",
        **{f"col_{index}": field for index, field in enumerate(
            ["name", "code", "phones", "emails", "uscc", "industry", "province", "notes"])}})
    run_job(customers_app, import_id)
    report = admin.get(f"{BASE}/{import_id}/bad-rows.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[1][0] == "'" + FORMULAS["name"] and rows[1][5] == "'+1+1"
    assert rows[1][7] == "'@SUM(A1:A9)"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    # The user fixes the phone in that file and imports it again: the values come back as typed.
    fixed = report.replace("1381234", "13812345678").encode("utf-8-sig")
    again = uploaded(customers_app, admin, fixed, "f-errors.csv")
    page = admin.get(f"{BASE}/{again}")
    admin.post(f"{BASE}/{again}", data={
        "csrf_token": token(page), "mode": "insert", "key": "", "action": "check",
        **{f"col_{index}": field for index, field in enumerate(
            ["name", "code", "phones", "emails", "uscc", "industry", "province", "notes",
             "", ""])}})
    run_job(customers_app, again)
    admin.post(f"{BASE}/{again}/run",
               data={"csrf_token": token(admin.get(f"{BASE}/{again}"))})
    run_job(customers_app, again)
    with customers_app.app_context():
        customer = get_session().scalar(select(Customer).where(Customer.code == "F1"))
        assert (customer.name, customer.industry, customer.notes) == (
            FORMULAS["name"], "+1+1", "@SUM(A1:A9)")
