"""Imports from the CLI and the services: modes and keys, error report, all-or-nothing,
upsert twice changing nothing, dry run, undo, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from test_import_data import BAD_ROWS, GOOD_ROWS, USCC, write_csv

from crm_core.audit.models import AuditEntry
from crm_core.db import get_session
from crm_core.errors import DomainError
from crm_core.imports.models import ImportRecord
from crm_core.imports.models import TabularImport as CustomerImport
from crm_core.imports.service import get_spec, save_template
from crm_core.imports.undo import undo_import as kernel_undo
from crm_core.testing import create_test_user, invoke_cli
from plugins.customers import services
from plugins.customers.models import Customer, CustomerPhone

SPEC = "customers.customer"


def undo_import(session, imp, user_id=None):
    """Undo as the kernel's job does, for the customer spec (None: a trusted caller)."""
    return kernel_undo(session, get_spec(SPEC), imp, user_id=user_id)


def run(app, *args):
    result = invoke_cli(app, "customers", "import", *map(str, args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def last_json(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_cli_imports_a_gbk_file_and_reports_each_bad_row(customers_app, tmp_path):
    path = write_csv(tmp_path / "客户.csv", GOOD_ROWS + BAD_ROWS, encoding="gbk")
    result = run(customers_app, path, "--json")
    assert result.exit_code == 1  # rows failed
    counts = last_json(result)
    assert counts["created"] == 3 and counts["failed"] == 4
    assert counts["updated"] == 0 and counts["skipped"] == 0
    with open(counts["error_report"], encoding="utf-8-sig", newline="") as handle:
        report = list(csv.reader(handle))
    assert report[0][:2] == ["客户名称", "客户编码"] and report[0][-2:] == ["Row", "Reason"]
    reasons = {row[1]: (row[-2], row[-1]) for row in report[1:]}
    assert reasons["BAD1"][0] == "5" and "手机" in reasons["BAD1"][1] \
        and "not a Chinese mobile" in reasons["BAD1"][1]
    assert reasons["BAD2"][0] == "6" and "统一社会信用代码" in reasons["BAD2"][1]
    assert "not an email address" in reasons["BAD3"][1]
    assert reasons["BAD4"] == ("8", "A customer needs a name.")
    with customers_app.app_context():
        session = get_session()
        imported = session.scalars(select(Customer).order_by(Customer.id)).all()
        assert [c.name for c in imported] == [row[0] for row in GOOD_ROWS]
        first = imported[0]
        assert first.code == "HY001" and first.uscc == USCC and first.industry == "软件"
        assert first.phones == ["+8613812345678"] and first.emails == ["sales@huayu.cn"]
        assert imported[1].phones == ["+862162345678"] and imported[1].notes == "老客户"
        imp = session.get(CustomerImport, first.import_id)
        assert (imp.status, imp.created, imp.failed, imp.encoding) == ("done", 3, 4, "gb18030")
        events = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
        assert len(events) == 1 and json.loads(events[0].changes)["created"] == 3


def test_insert_skip_and_upsert_by_key(customers_app, tmp_path):
    with customers_app.app_context():
        session = get_session()
        services.create_customer(session, name="旧名字", code="HY001", industry="旧行业")
        session.commit()
    path = write_csv(tmp_path / "c.csv", GOOD_ROWS)
    inserted = last_json(run(customers_app, path, "--key", "code", "--json"))
    assert (inserted["created"], inserted["failed"]) == (2, 1)
    with open(inserted["error_report"], encoding="utf-8-sig") as handle:
        assert "already exists" in handle.read()
    skipped = last_json(run(customers_app, path, "--mode", "skip", "--json"))
    assert (skipped["created"], skipped["skipped"], skipped["failed"]) == (0, 3, 0)
    upserted = run(customers_app, path, "--mode", "upsert", "--key", "code", "--json")
    assert upserted.exit_code == 0
    assert last_json(upserted) == {"created": 0, "updated": 1, "skipped": 2, "failed": 0,
                                   "error_report": None}
    with customers_app.app_context():
        session = get_session()
        changed = session.scalar(select(Customer).where(Customer.code == "HY001"))
        assert changed.name == "北京华宇科技有限公司" and changed.industry == "软件"
        assert changed.name_key == "北京华宇科技" and changed.uscc == USCC
        (change,) = session.scalars(select(ImportRecord).where(
            ImportRecord.created.is_(False))).all()
        old, new = change.old, change.new
        assert old["name"] == "旧名字" and old["industry"] == "旧行业"
        assert new["name"] == "北京华宇科技有限公司" and new["industry"] == "软件"
        audit_before = count(session, AuditEntry)
    again = last_json(run(customers_app, path, "--mode", "upsert", "--key", "code", "--json"))
    assert (again["updated"], again["created"], again["skipped"]) == (0, 0, 3)
    with customers_app.app_context():
        session = get_session()
        assert count(session, ImportRecord, ImportRecord.created.is_(False)) == 1
        # Only the import row itself and its one batch event; no customer entries.
        new = session.scalars(select(AuditEntry).where(AuditEntry.id > audit_before)).all()
        assert {entry.model for entry in new} == {"core_import"}


def test_upsert_by_phone_and_email(customers_app, tmp_path):
    with customers_app.app_context():
        session = get_session()
        services.create_customer(session, name="Old ACME", phones=["+1 650 253 0000"])
        services.create_customer(session, name="明达", emails=["info@mingda.com"])
        session.commit()
    by_phone = last_json(run(customers_app, write_csv(tmp_path / "a.csv", GOOD_ROWS[2:]),
                             "--mode", "upsert", "--key", "phone", "--json"))
    by_email = last_json(run(customers_app, write_csv(tmp_path / "b.csv", GOOD_ROWS[1:2]),
                             "--mode", "upsert", "--key", "email", "--json"))
    assert by_phone["updated"] == 1 and by_email["updated"] == 1
    with customers_app.app_context():
        names = get_session().scalars(select(Customer.name).order_by(Customer.id)).all()
        assert names == ["ACME Co., Ltd.", "上海明达贸易有限公司"]


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(customers_app, tmp_path):
    path = write_csv(tmp_path / "c.csv", GOOD_ROWS + BAD_ROWS[:1])
    result = run(customers_app, path, "--all-or-nothing", "--json")
    assert result.exit_code == 1
    counts = last_json(result)
    assert counts["created"] == 0 and counts["failed"] == 1 and counts["error_report"]
    with customers_app.app_context():
        session = get_session()
        assert count(session, Customer) == 0
        assert session.scalar(select(CustomerImport.status)) == "failed"


def test_dry_run_writes_nothing_and_warns_of_likely_duplicates(customers_app, tmp_path):
    with customers_app.app_context():
        session = get_session()
        services.create_customer(session, name="北京华宇科技", phones=["13812345678"])
        session.commit()
    rows = [*GOOD_ROWS, ["ACME Inc.", "", "", "HELLO@acme.com", "", "", "", ""]]
    result = run(customers_app, write_csv(tmp_path / "c.csv", rows), "--dry-run", "--json")
    assert result.exit_code == 0 and "3 would be created" not in result.stdout
    assert last_json(result)["created"] == 4
    with customers_app.app_context():
        session = get_session()
        assert count(session, Customer) == 1
        imp = session.scalar(select(CustomerImport))
        assert imp.status == "checked" and "2 rows look like duplicates" in imp.message


def test_a_bad_file_exits_2(customers_app, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = invoke_cli(customers_app, "customers", "import", str(empty))
    assert result.exit_code == 2 and "empty" in result.output
    nameless = write_csv(tmp_path / "n.csv", [["x@example.com"]], headers=["邮箱"])
    result = invoke_cli(customers_app, "customers", "import", str(nameless))
    assert result.exit_code == 2 and "customer name" in result.output.lower()


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_undo_trashes_what_an_import_created_and_restores_what_it_changed(crm_make_app,
                                                                          tmp_path, database):
    app = crm_make_app(plugins=["customers"], database=database)
    with app.app_context():
        session = get_session()
        kept = services.create_customer(session, name="旧名字", code="HY001",
                                        phones=["13900000000"])
        session.commit()
        kept_id = kept.id
    first = last_json(run(app, write_csv(tmp_path / "a.csv", GOOD_ROWS[1:]), "--json"))
    assert first["created"] == 2
    result = run(app, write_csv(tmp_path / "b.csv", GOOD_ROWS + [
        ["新客户", "NEW1", "13700000000", "", "", "", "", ""]]),
        "--mode", "upsert", "--key", "code", "--json")
    # The two customers of the first import are matched but unchanged: counted skipped.
    assert last_json(result) == {"created": 1, "updated": 1, "skipped": 2, "failed": 0,
                                 "error_report": None}
    with app.app_context():
        session = get_session()
        imp = session.scalars(select(CustomerImport).order_by(CustomerImport.id.desc())).first()
        assert session.get(Customer, kept_id).phones == ["+8613812345678"]
        result = undo_import(session, imp)
        assert (result.removed, result.restored, result.skipped) == (1, 1, 0)
        # In the trash, restorable, with its phone: never deleted for good.
        created = session.scalar(select(Customer).where(Customer.code == "NEW1"))
        assert created.deleted_at is not None
        assert count(session, CustomerPhone, CustomerPhone.number == "+8613700000000") == 1
        session.expire_all()
        back = session.get(Customer, kept_id)
        assert back.name == "旧名字" and back.phones == ["+8613900000000"] and back.uscc is None
        assert count(session, Customer, Customer.deleted_at.is_(None)) == 3
        assert count(session, AuditEntry, AuditEntry.action == "import_undo") == 1
        with pytest.raises(DomainError, match="undone already"):
            undo_import(session, session.get(CustomerImport, imp.id))


def test_xlsx_with_a_numeric_phone_imports_with_a_saved_template(customers_app, tmp_path):
    user = create_test_user(customers_app, "mapper")
    with customers_app.app_context():
        session = get_session()
        save_template(session, get_spec(SPEC), user.id, "ERP", ["公司", "电话号"],
                      ["name", "phones"])
        session.commit()
    book = Workbook()
    book.active.append(["公司", "电话号", None])
    book.active.append(["杭州云帆网络", 13812345678.0, None])
    path = tmp_path / "erp.xlsx"
    book.save(path)
    result = run(customers_app, path, "--mapping", "ERP", "--json")
    assert result.exit_code == 0 and last_json(result)["created"] == 1
    with customers_app.app_context():
        customer = get_session().scalar(select(Customer))
        assert customer.name == "杭州云帆网络" and customer.phones == ["+8613812345678"]


def test_upsert_leaves_a_customer_in_the_trash_alone(customers_app, tmp_path):
    with customers_app.app_context():
        session = get_session()
        trashed = services.create_customer(session, name="已删除", code="HY001")
        services.delete_customer(session, trashed.id)
        session.commit()
    result = run(customers_app, write_csv(tmp_path / "c.csv", GOOD_ROWS[:1]),
                 "--mode", "upsert", "--json")
    counts = last_json(result)
    assert result.exit_code == 1 and (counts["updated"], counts["failed"]) == (0, 1)
    with open(counts["error_report"], encoding="utf-8-sig") as handle:
        assert "in the trash" in handle.read()


LISTENER = '''
    from crm_core.toolkit import PluginInfo, hookimpl

    PLUGIN = PluginInfo(name="importheard", version="0.1", title="Listens",
                        requires=("customers",))
    HEARD = []

    @hookimpl
    def customer_created(customer_id):
        HEARD.append(("created", customer_id))

    @hookimpl
    def customer_updated(customer_id, changed):
        HEARD.append(("updated", customer_id, list(changed)))
'''


def test_imported_rows_call_the_created_and_updated_events(crm_make_app, crm_install_plugin,
                                                           tmp_path):
    crm_install_plugin("importheard", LISTENER)
    import importheard_plugin.plugin as listener

    listener.HEARD.clear()
    app = crm_make_app(plugins=["customers", "importheard"])
    with app.app_context():
        session = get_session()
        existing = services.create_customer(session, name="旧", code="HY001").id
        session.commit()
    listener.HEARD.clear()
    run(app, write_csv(tmp_path / "c.csv", GOOD_ROWS), "--mode", "upsert")
    created = [event for event in listener.HEARD if event[0] == "created"]
    assert len(created) == 2
    assert ("updated", existing, ["emails", "industry", "name", "phones", "province",
                                  "uscc"]) in listener.HEARD
    listener.HEARD.clear()
    run(app, write_csv(tmp_path / "c.csv", GOOD_ROWS), "--mode", "upsert")
    assert listener.HEARD == []  # the same file again changes nothing and tells nobody


TAKER = '''
    from crm_core.toolkit import PluginInfo, hookimpl

    PLUGIN = PluginInfo(name="codetaker", version="0.1", title="Takes a code",
                        requires=("customers",))
    PURGED = []

    @hookimpl
    def customer_created(customer_id):
        from crm_core.db import get_session
        from plugins.customers import services
        from plugins.customers.models import Customer

        session = get_session()
        if session.get(Customer, customer_id).code == "HY001":
            services.create_customer(session, name="抢先一步", code="MD002")

    @hookimpl
    def customer_purged(customer_id):
        PURGED.append(customer_id)
'''


def test_all_or_nothing_takes_back_a_run_that_went_bad_and_says_customer_purged(
        crm_make_app, crm_install_plugin, tmp_path, monkeypatch):
    crm_install_plugin("codetaker", TAKER)
    import codetaker_plugin.plugin as taker

    from crm_core.imports import run as import_run

    taker.PURGED.clear()
    monkeypatch.setattr(import_run, "BATCH", 1)  # each row its own batch, committed
    app = crm_make_app(plugins=["customers", "codetaker"])
    result = run(app, write_csv(tmp_path / "c.csv", GOOD_ROWS), "--all-or-nothing", "--json")
    # The check passed; while writing, a listener took row 3's code: nothing stays.
    assert result.exit_code == 1 and last_json(result)["created"] == 0
    with app.app_context():
        session = get_session()
        names = session.scalars(select(Customer.name)).all()
        assert names == ["抢先一步"]
        assert len(taker.PURGED) == 2  # rows 2 and 4 were created, then purged
        imp = session.scalars(select(CustomerImport)).one()
        assert imp.status == "failed" and "nothing was imported" in imp.message


def test_an_import_keeps_the_same_caps_and_website_rule_as_the_form(customers_app, tmp_path):
    headers = ["客户名称", "手机", "网址", "备注"]
    many_phones = "、".join(f"1381234{n:04d}" for n in range(21))
    rows = [
        ["脚本网址公司", "", "javascript:alert(1)", ""],
        ["电话太多公司", many_phones, "", ""],
        ["备注太长公司", "", "", "长" * 10_001],
        ["正常网址公司", "", "www.example.cn", "好"],
    ]
    path = write_csv(tmp_path / "caps.csv", rows, headers=headers)
    counts = last_json(run(customers_app, path, "--json"))
    assert counts["created"] == 1 and counts["failed"] == 3
    with open(counts["error_report"], encoding="utf-8-sig", newline="") as handle:
        reasons = {row[0]: row[-1] for row in list(csv.reader(handle))[1:]}
    assert "http://" in reasons["脚本网址公司"]
    assert "20" in reasons["电话太多公司"]
    assert "10000" in reasons["备注太长公司"] or "10,000" in reasons["备注太长公司"]
    with customers_app.app_context():
        kept = get_session().scalars(select(Customer)).all()
        assert [(c.name, c.website) for c in kept] == [("正常网址公司", "http://www.example.cn")]
