"""Exporting customers: CSV that Excel opens in Chinese with formulas defused, XLSX that
opens, only the exporter's data scope, the job through a real worker, and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time

import pytest
from customers_testing import add_user
from openpyxl import load_workbook
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.jobs.models import Job
from crm_core.rbac.departments import create_department
from crm_core.testing import create_test_user, invoke_cli, login
from crm_core.toolkit import DomainError
from plugins.customers import services
from plugins.customers.exporting.views import HEADERS, start_export, write_export
from plugins.customers.exporting.writers import neutralise, open_writer, readable_phone
from plugins.customers.models import Customer


@pytest.fixture
def people(customers_app, session):
    """Two departments, their users, and customers with awkward values in each."""
    team_a = create_department(session, "Team A").id
    team_b = create_department(session, "Team B").id
    session.commit()
    ids = {
        "sally": add_user(customers_app, session, "sally", ["sales"], team_a),
        "bob": add_user(customers_app, session, "bob", ["sales"], team_b),
        "mia": add_user(customers_app, session, "mia", ["manager"], team_a),
    }
    vip = services.create_tag(session, "VIP", "#dc3545")
    kind = services.create_customer_type(session, "Key account")
    first = services.create_customer(
        session, name="北京远景科技有限公司", industry="软件", province="北京", city="北京",
        phones=["13812345678", "010-12345678 转 89"], emails=["Info@YuanJing.cn"],
        customer_type_id=kind.id, owner_id=ids["sally"], department_id=team_a,
        address="=HYPERLINK(\"http://evil\")")
    services.adjust_total_amount(session, first.id, "1234.50")
    services.add_tag(session, first.id, vip.id)
    services.create_customer(session, name="+Plus Trading", industry="-minus", notes="x",
                             phones=["+1 650 253 0000"], owner_id=ids["sally"],
                             department_id=team_a, source="@mention")
    services.create_customer(session, name="Bravo 上海", owner_id=ids["bob"],
                             department_id=team_b)
    gone = services.create_customer(session, name="In the bin", owner_id=ids["sally"],
                                    department_id=team_a)
    services.delete_customer(session, gone.id)
    session.commit()
    return ids


def read_csv(path):
    raw = path.read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_starts_with_a_bom_keeps_chinese_and_defuses_formulas(customers_app, session,
                                                                  people, tmp_path):
    path = tmp_path / "all.csv"
    assert write_export(session, path) == 3
    raw, rows = read_csv(path)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "北京远景科技有限公司".encode() in raw
    assert rows[0] == list(HEADERS)
    by_name = {row[1]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {"北京远景科技有限公司", "'+Plus Trading", "Bravo 上海"}
    beijing = by_name["北京远景科技有限公司"]
    assert beijing["Phones"] == "138 1234 5678; 010 1234 5678 转 89"
    assert beijing["Emails"] == "info@yuanjing.cn"
    assert beijing["Address"] == "'=HYPERLINK(\"http://evil\")"
    assert beijing["Total amount"] == "1234.50"
    assert beijing["Tags"] == "VIP" and beijing["Type"] == "Key account"
    assert beijing["Owner"] == "sally" and beijing["Kind"] == "Company"
    plus = by_name["'+Plus Trading"]
    assert plus["Industry"] == "'-minus" and plus["Source"] == "'@mention"
    assert plus["Phones"] == "+16502530000"


def test_neutralise_leaves_plain_numbers_and_text_alone():
    assert neutralise("-12.50") == "-12.50"
    assert neutralise("-1+1") == "'-1+1"
    assert neutralise("\tcmd") == "'\tcmd"
    assert neutralise("上海") == "上海"
    assert readable_phone("+862112345678") == "021 1234 5678"


def test_xlsx_opens_with_openpyxl_and_holds_the_rows(customers_app, session, people, tmp_path):
    path = tmp_path / "all.xlsx"
    assert write_export(session, path, fmt="xlsx", filters={"province": "北京"}) == 1
    sheet = load_workbook(path, read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(HEADERS)
    assert len(rows) == 2
    record = dict(zip(HEADERS, rows[1], strict=True))
    assert record["Name"] == "北京远景科技有限公司"
    assert record["Address"] == "'=HYPERLINK(\"http://evil\")"  # text, never a formula
    assert float(record["Total amount"]) == 1234.5


def test_a_sales_users_export_holds_only_their_own_customers(customers_app, session, people,
                                                             tmp_path):
    path = tmp_path / "sally.csv"
    assert write_export(session, path, user=people["sally"]) == 2
    names = sorted(row[1] for row in read_csv(path)[1][1:])
    assert names == ["'+Plus Trading", "北京远景科技有限公司"]
    assert write_export(session, tmp_path / "bob.csv", user=people["bob"]) == 1


def test_a_selection_exports_only_those_customers_and_never_the_trash(customers_app, session,
                                                                     people, tmp_path):
    every = dict(session.execute(select(Customer.name, Customer.id)).all())
    chosen = [every["Bravo 上海"], every["In the bin"], 99999]
    path = tmp_path / "chosen.csv"
    assert write_export(session, path, ids=chosen) == 1
    assert [row[1] for row in read_csv(path)[1][1:]] == ["Bravo 上海"]
    assert write_export(session, tmp_path / "x.csv", user=people["sally"], ids=chosen) == 0


def test_start_export_refuses_a_user_without_the_export_permission(customers_app, session,
                                                                  people):
    sally = session.get(User, people["sally"])
    with pytest.raises(DomainError, match="may not export"):
        start_export(session, user=sally)
    mia = session.get(User, people["mia"])
    with pytest.raises(DomainError, match="trash"):
        start_export(session, user=mia, filters={"trash": True})
    with pytest.raises(DomainError, match="csv or xlsx"):
        start_export(session, user=mia, fmt="pdf")


@pytest.mark.worker
def test_export_job_runs_in_a_worker_within_the_owners_scope(customers_app, session, people,
                                                             crm_start_worker):
    from plugins.customers.segments import services as segments

    mia = session.get(User, people["mia"])  # a manager of Team A: department scope
    services.create_customer(session, name="上海软件服务公司", industry="软件",
                             owner_id=people["mia"], department_id=session.get(
                                 User, people["mia"]).department_id)
    services.create_customer(session, name="远景 of Team B", industry="软件",
                             owner_id=people["bob"])
    segment = segments.save_segment(session, user=mia, name="Software",
                                    filters={"industry": "软件"})
    session.commit()
    # the segment alone holds two of Mia's customers; the search text narrows it to one
    job = start_export(session, user=mia, fmt="csv", segment_id=segment.id, query="远景")
    crm_start_worker(customers_app)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with customers_app.app_context():
            state = get_session().get(Job, job.id)
            if state.state in ("done", "failed"):
                break
        time.sleep(0.2)
    assert state.state == "done", state.error
    assert state.message == "Exported 1 customer"
    # a fresh app context each: the session fixture's context caches its own (anonymous) user
    with customers_app.app_context():
        download = login(customers_app.test_client(), mia).get(f"/customers/exports/{job.id}")
    assert download.status_code == 200
    assert download.data.startswith(b"\xef\xbb\xbf")
    assert "北京远景科技有限公司" in download.data.decode("utf-8-sig")
    assert "上海软件服务公司" not in download.data.decode("utf-8-sig")
    assert "Team B" not in download.data.decode("utf-8-sig")
    root = create_test_user(customers_app, "root", superuser=True)
    with customers_app.app_context():
        other = login(customers_app.test_client(), root).get(f"/customers/exports/{job.id}")
    assert other.status_code == 404
    with customers_app.app_context():
        entry = get_session().scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert entry.username == "mia"
    assert json.loads(entry.changes) == {
        "file": f"customers-{job.id}-{mia.id}.csv", "filters": {"industry": "软件"},
        "format": "csv", "rows": 1, "query": "远景", "segment_id": segment.id, "selected": 1}


def test_cli_exports_every_customer_with_filters(customers_app, session, people, tmp_path):
    out = tmp_path / "cli.xlsx"
    result = invoke_cli(customers_app, "customers", "export", "--format", "xlsx", "--out",
                        str(out), "--province", "北京")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == f"Exported 1 customer to {out}"
    assert "1/1 customers written" in result.stderr
    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "北京远景科技有限公司"
    everyone = invoke_cli(customers_app, "customers", "export", "--out", str(tmp_path / "a.csv"))
    assert everyone.output.strip().endswith("a.csv") and "Exported 3 customers" in \
        everyone.output


def test_export_on_postgresql(crm_make_app, postgres_url, tmp_path):
    app = crm_make_app(plugins=["customers"], database="postgresql")
    with app.test_request_context():
        session = get_session()
        customer = services.create_customer(session, name="北京 PG", phones=["13812345678"])
        services.adjust_total_amount(session, customer.id, "-5.10")
        session.commit()
        assert write_export(session, tmp_path / "pg.csv") == 1
        assert write_export(session, tmp_path / "pg.xlsx", fmt="xlsx", ids=[customer.id]) == 1
    _raw, rows = read_csv(tmp_path / "pg.csv")
    record = dict(zip(HEADERS, rows[1], strict=True))
    assert record["Name"] == "北京 PG" and record["Total amount"] == "-5.10"
    assert record["Phones"] == "138 1234 5678" and len(record["Created"]) == 16


def add_busy_customer(session):
    """A customer with several phones, emails and tags, a contact, a debt and awkward text."""
    zeta, alpha = services.create_tag(session, "Zeta"), services.create_tag(session, "Alpha")
    busy = services.create_customer(
        session, name="Busy & <Sons>", phones=["13812345678", "021-12345678", "+44 20 7946 0000"],
        emails=["b@busy.cn", "a@busy.cn"], address="A & B <c>")
    services.create_customer(session, name="Quiet", phones=["13900000000"])
    for tag in (zeta, alpha):
        services.add_tag(session, busy.id, tag.id)
    services.adjust_total_amount(session, busy.id, "-0.05")
    services.add_contact_record(session, busy.id, kind="call",
                                occurred_at=dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    session.commit()
    return busy.id


def check_busy_csv(path):
    _raw, rows = read_csv(path)
    by_name = {row[1]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}
    busy = by_name["Busy & <Sons>"]
    assert busy["Phones"] == "138 1234 5678; 021 1234 5678; +442079460000"
    assert busy["Emails"] == "b@busy.cn; a@busy.cn"  # the order they were typed in
    assert busy["Tags"] == "Alpha, Zeta"
    assert busy["Total amount"] == "-0.05"
    assert busy["Last contact"] == "2026-03-04 05:06"
    quiet = by_name["Quiet"]
    assert quiet["Phones"] == "139 0000 0000" and quiet["Tags"] == quiet["Last contact"] == ""


def check_busy_xlsx(path):
    sheet = load_workbook(path).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(HEADERS)
    busy = dict(zip(HEADERS, rows[1], strict=True))
    assert busy["Name"] == "Busy & <Sons>" and busy["Address"] == "A & B <c>"
    assert busy["Tags"] == "Alpha, Zeta"
    assert busy["Total amount"] == -0.05  # a number a spreadsheet can sum, shown "-0.05"
    amount = sheet.cell(row=2, column=HEADERS.index("Total amount") + 1)
    assert amount.data_type == "n" and amount.number_format == "#,##0.00"
    assert sheet.freeze_panes == "A2"  # the header stays in view


def test_several_phones_emails_and_tags_keep_their_order(customers_app, session, tmp_path):
    busy = add_busy_customer(session)
    assert write_export(session, tmp_path / "busy.csv") == 2
    check_busy_csv(tmp_path / "busy.csv")
    assert write_export(session, tmp_path / "busy.xlsx", fmt="xlsx", ids=[busy]) == 1
    check_busy_xlsx(tmp_path / "busy.xlsx")


def test_xlsx_cells_keep_spaces_and_drop_characters_xml_refuses(tmp_path):
    path = tmp_path / "odd.xlsx"
    writer = open_writer("xlsx", path, "Clients/2026", number_columns=[2])
    writer.write(["Text", "More", "Amount"])
    writer.write_rows([["  two spaces", "bell\x07 & tab\tinside", "12.50"],
                       ["=1+1", "", "-3.00"], ["", "x", ""]])
    writer.close()
    book = load_workbook(path)
    assert book.sheetnames == ["Clients 2026"]  # "/" is not allowed in a sheet name
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert rows == [["Text", "More", "Amount"], ["  two spaces", "bell & tab\tinside", 12.5],
                    ["'=1+1", None, -3], [None, "x", None]]


def test_several_values_and_times_on_postgresql(crm_make_app, postgres_url, tmp_path):
    app = crm_make_app(plugins=["customers"], database="postgresql")
    with app.test_request_context():
        session = get_session()
        busy = add_busy_customer(session)
        assert write_export(session, tmp_path / "busy.csv") == 2
        assert write_export(session, tmp_path / "busy.xlsx", fmt="xlsx", ids=[busy]) == 1
    check_busy_csv(tmp_path / "busy.csv")
    check_busy_xlsx(tmp_path / "busy.xlsx")
