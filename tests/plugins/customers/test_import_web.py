"""The import wizard through the web client: upload, mapping, check, run, result, bad-row
CSV, undo; refusals with clear errors; permission and who sees an import."""

from __future__ import annotations

import io
import re
import time

import pytest
from sqlalchemy import func, select
from test_import_data import BAD_ROWS, GOOD_ROWS, write_csv

from crm_core.db import get_session
from crm_core.errors import DomainError
from crm_core.imports.jobs import import_task
from crm_core.imports.models import ImportTemplate
from crm_core.imports.models import TabularImport as CustomerImport
from crm_core.jobs.models import Job
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, login
from crm_core.toolkit import JobHandle
from plugins.customers import services
from plugins.customers.models import Customer

BASE = "/imports/customers.customer"  # the kernel's wizard of the customer spec


def token(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))[1]


@pytest.fixture
def admin(customers_app):
    return login(customers_app.test_client(),
                 create_test_user(customers_app, "boss", superuser=True))


def user_client(app, name, roles):
    user = create_test_user(app, name)
    with app.app_context():
        session = get_session()
        assign_roles(session, user.id, roles)
        session.commit()
    return login(app.test_client(), user)


def upload(client, content: bytes, filename: str, **extra):
    page = client.get(f"{BASE}/new")
    return client.post(f"{BASE}/new", data={
        "csrf_token": token(page), "file": (io.BytesIO(content), filename), **extra},
        content_type="multipart/form-data")


def mapping_data(client, import_id, **changes):
    page = client.get(f"{BASE}/{import_id}")
    html = page.get_data(as_text=True)
    data = {"csrf_token": token(page), "mode": "insert", "key": "", "action": "check"}
    for name, value in re.findall(
            r'<select[^>]*name="(col_\d+)".*?<option[^>]*selected[^>]*value="([^"]*)"', html,
            re.S):
        data[name] = value
    for name in re.findall(r'name="(col_\d+)"', html):
        data.setdefault(name, "")
    data.update(changes)
    return data


STEPS = {"Read import file": "read", "Check import": "check", "Import": "run",
         "Undo import": "undo"}


def run_job(app, import_id, locale=None):
    """Run the job the page queued, in-process, as the worker would."""
    with app.app_context():
        session = get_session()
        imp = session.get(CustomerImport, import_id)
        job = session.get(Job, imp.job_id)
        job_id, step = job.id, STEPS[job.kind]
    with app.app_context():
        try:
            import_task(JobHandle(job_id), import_id, step, locale=locale)
        except DomainError:
            pass  # the job fails with the message; the import shows it


def uploaded(app, client, content: bytes, filename: str, **extra) -> int:
    """Upload a file and run the job that reads its header; the import's id."""
    answer = upload(client, content, filename, **extra)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    import_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    run_job(app, import_id)
    return import_id


def test_wizard_checks_then_imports_a_gbk_file_and_undoes_it(customers_app, admin, tmp_path):
    content = write_csv(tmp_path / "f.csv", GOOD_ROWS + BAD_ROWS, encoding="gbk").read_bytes()
    answer = upload(admin, content, "客户.csv")
    assert answer.status_code == 302
    import_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    reading = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "Reading the file in the background" in reading and "col_0" not in reading
    run_job(customers_app, import_id)
    page = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "客户名称" in page and "北京华宇科技有限公司" in page  # header and a sample row
    data = mapping_data(admin, import_id)
    assert data["col_0"] == "name" and data["col_2"] == "phones"
    checked = admin.post(f"{BASE}/{import_id}", data=data)
    assert checked.status_code == 302
    assert "hx-get=\"/jobs/" in admin.get(f"{BASE}/{import_id}").get_data(
        as_text=True)
    run_job(customers_app, import_id)
    result = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert 'data-count="created">3<' in result and 'data-count="failed">4<' in result
    assert "Import now" in result and "not a Chinese mobile number" in result
    assert re.search(r"<td>5</td>\s*<td>.*?手机", result, re.S)  # row number and column
    with customers_app.app_context():
        assert get_session().scalar(select(func.count(Customer.id))) == 0  # dry run
    admin.post(f"{BASE}/{import_id}/run",
               data={"csrf_token": token(admin.get(f"{BASE}/{import_id}"))})
    with customers_app.app_context():
        assert get_session().get(CustomerImport, import_id).status == "running"
    run_job(customers_app, import_id)
    done = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert 'data-count="created">3<' in done and "Undo this import" in done
    report = admin.get(f"{BASE}/{import_id}/bad-rows.csv")
    assert report.status_code == 200 and report.data.startswith(b"\xef\xbb\xbf")
    text = report.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("客户名称,客户编码") and "BAD4" in text
    confirm = admin.get(f"{BASE}/{import_id}/undo")
    assert "3 customers this import created go to the trash" in confirm.get_data(as_text=True)
    admin.post(f"{BASE}/{import_id}/undo", data={"csrf_token": token(confirm)})
    run_job(customers_app, import_id)
    undone = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "Undone: 3 customers moved to the trash" in undone
    with customers_app.app_context():
        assert get_session().scalar(select(func.count(Customer.id)).where(
            Customer.deleted_at.is_(None))) == 0
    again = admin.get(f"{BASE}/{import_id}/undo", follow_redirects=True)
    assert "cannot be undone" in again.get_data(as_text=True)
    listing = admin.get(f"{BASE}/").get_data(as_text=True)
    assert "客户.csv" in listing and "undone" in listing


def test_upload_refuses_empty_foreign_and_headerless_files(customers_app, admin, tmp_path):
    cases = [(b"", "a.csv", "The file is empty"),
             (b"%PDF-1.4", "a.pdf", "Choose a CSV or Excel file")]
    for content, name, message in cases:
        answer = upload(admin, content, name)
        assert answer.status_code == 400, name
        assert message in answer.get_data(as_text=True)
    # Only the job reads the file: a headerless one fails there, with the reason on its page.
    import_id = uploaded(customers_app, admin, "北京华宇科技,13812345678\r\n".encode(), "a.csv")
    page = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "should name the columns" in page and "col_0" not in page
    assert "Choose a file" in admin.post(f"{BASE}/new", data={
        "csrf_token": token(admin.get(f"{BASE}/new"))}).get_data(as_text=True)


def test_mapping_errors_and_a_saved_template_reused(customers_app, admin, tmp_path):
    content = write_csv(tmp_path / "f.csv", GOOD_ROWS, headers=[
        "公司", "编号", "Tel", "mail", "x", "y", "z", "w"]).read_bytes()
    import_id = uploaded(customers_app, admin, content, "f.csv")
    twice = admin.post(f"{BASE}/{import_id}", data=mapping_data(
        admin, import_id, col_0="name", col_1="name"))
    assert twice.status_code == 400 and "chosen for several columns" in twice.get_data(
        as_text=True)
    nameless = admin.post(f"{BASE}/{import_id}", data=mapping_data(
        admin, import_id, col_0=""))
    assert "Choose the column that holds Customer name" in nameless.get_data(as_text=True)
    keyless = admin.post(f"{BASE}/{import_id}", data=mapping_data(
        admin, import_id, col_0="name", mode="upsert"))
    assert "need a key" in keyless.get_data(as_text=True)
    saved = admin.post(f"{BASE}/{import_id}", data=mapping_data(
        admin, import_id, col_0="name", col_1="code", col_4="notes",
        action="save_template", template_name="ERP 导出"), follow_redirects=True)
    assert "saved as the template ERP 导出" in saved.get_data(as_text=True)
    with customers_app.app_context():
        template = get_session().scalar(select(ImportTemplate))
        assert template.mapping["公司"] == "name" and template.mapping["x"] == "notes"
    second = uploaded(customers_app, admin, content, "g.csv", template=str(template.id))
    assert mapping_data(admin, second)["col_4"] == "notes"


def test_viewer_may_not_import_and_others_imports_are_hidden(customers_app, admin, tmp_path):
    viewer = user_client(customers_app, "viewer1", ["viewer"])
    assert viewer.get(f"{BASE}/").status_code == 403
    assert viewer.get(f"{BASE}/new").status_code == 403
    content = write_csv(tmp_path / "f.csv", GOOD_ROWS).read_bytes()
    import_id = uploaded(customers_app, admin, content, "f.csv")
    manager = user_client(customers_app, "manager1", ["manager"])
    assert manager.get(f"{BASE}/").status_code == 200
    assert manager.get(f"{BASE}/{import_id}").status_code == 404
    assert manager.get(f"{BASE}/{import_id}/bad-rows.csv").status_code == 404
    assert "f.csv" not in manager.get(f"{BASE}/").get_data(as_text=True)


def test_an_upsert_changes_only_customers_in_the_importers_scope(customers_app, tmp_path):
    manager = user_client(customers_app, "m2", ["manager"])  # department scope
    with customers_app.app_context():
        session = get_session()
        services.create_customer(session, name="别人的客户", code="HY001")  # nobody's
        session.commit()
    content = write_csv(tmp_path / "f.csv", GOOD_ROWS[:1]).read_bytes()
    import_id = uploaded(customers_app, manager, content, "f.csv")
    manager.post(f"{BASE}/{import_id}",
                 data=mapping_data(manager, import_id, mode="upsert", key="code"))
    run_job(customers_app, import_id)
    page = manager.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert 'data-count="failed">1<' in page and "a customer you cannot see" in page
    assert "别人的客户" not in page and "HY001" not in page.split("import-problems")[1]


@pytest.mark.worker
def test_the_check_and_the_import_run_in_a_worker(customers_app, admin, tmp_path,
                                                  crm_start_worker):
    admin.set_cookie("crm_lang", "zh_CN")  # the reasons come back in the page's language
    content = write_csv(tmp_path / "f.csv", GOOD_ROWS + BAD_ROWS[:1]).read_bytes()
    answer = upload(admin, content, "f.csv")
    import_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    crm_start_worker(customers_app)

    def wait_for(status):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with customers_app.app_context():
                imp = get_session().get(CustomerImport, import_id)
                if imp.status == status:
                    return imp
            time.sleep(0.2)
        raise AssertionError(f"import never became {status}: {imp.status} {imp.message}")

    assert wait_for("uploaded").mapping["headers"][0] == "客户名称"
    admin.post(f"{BASE}/{import_id}", data=mapping_data(admin, import_id))
    assert wait_for("checked").created == 3
    assert "不是中国大陆手机号" in admin.get(f"{BASE}/{import_id}").get_data(
        as_text=True)
    admin.post(f"{BASE}/{import_id}/run",
               data={"csrf_token": token(admin.get(f"{BASE}/{import_id}"))})
    assert wait_for("done").created == 3
    with customers_app.app_context():
        assert get_session().scalar(select(func.count(Customer.id))) == 3


def test_an_upload_over_the_size_limit_is_refused(crm_make_app):
    app = crm_make_app(plugins=["customers"], CRM_CUSTOMERS_IMPORT_MAX_MB=1)
    client = login(app.test_client(), create_test_user(app, "big", superuser=True))
    content = "名称\r\n".encode() + b"x" * (1024 * 1024 + 10)
    answer = upload(client, content, "big.csv")
    assert answer.status_code == 400 and "larger than 1 MB" in answer.get_data(as_text=True)


def test_the_job_writes_the_reasons_in_the_language_it_was_given(customers_app, admin,
                                                                tmp_path):
    admin.set_cookie("crm_lang", "zh_CN")
    content = write_csv(tmp_path / "f.csv", BAD_ROWS[:1]).read_bytes()
    import_id = uploaded(customers_app, admin, content, "f.csv")
    admin.post(f"{BASE}/{import_id}", data=mapping_data(admin, import_id))
    with customers_app.app_context():
        job_id = get_session().get(CustomerImport, import_id).job_id
    job = admin.get(f"/api/v1/jobs/{job_id}").get_json()
    assert job["state"] == "queued"
    run_job(customers_app, import_id, locale="zh_CN")  # what the page asked the job for
    page = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "不是中国大陆手机号" in page
