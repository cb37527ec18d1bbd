"""A first import into a fresh install: a file exported from another system (GBK) names
customer types and tags that do not exist yet and mixes people and companies. The wizard
offers to create the missing values (the default), infers the kind from the name, links the
result to the customers it created, and a run whose worker died can be reset."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select, update
from test_import_web import (
    BASE,
    mapping_data,
    run_job,
    token,
    uploaded,
    user_client,
)

from crm_core.audit.models import AuditEntry
from crm_core.db import get_session, utcnow
from crm_core.imports.models import TabularImport
from crm_core.jobs.models import Job
from crm_core.testing import create_test_user, invoke_cli, login
from plugins.customers import services
from plugins.customers.models import Customer, CustomerType, Tag

ROWS = ("客户名称,客户类型,标签,手机\n"
        "北京华宇科技有限公司,企业客户,\"重点, VIP\",13800138000\n"
        "王晓燕,企业客户,VIP,13900139000\n"
        "李建国,,重点,13700137000\n")


@pytest.fixture
def admin(customers_app):
    return login(customers_app.test_client(),
                 create_test_user(customers_app, "boss", superuser=True))


def kinds(app) -> dict[str, str]:
    with app.app_context():
        return dict(get_session().execute(select(Customer.name, Customer.kind)).all())


def names(app, model) -> list[str]:
    with app.app_context():
        return sorted(get_session().scalars(select(model.name)))


def test_wizard_lists_and_creates_missing_types_and_tags_by_default(customers_app, admin):
    import_id = uploaded(customers_app, admin, ROWS.encode("gbk"), "客户.csv")
    page = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert " checked" in re.search(r'<input[^>]*name="create_missing"[^>]*>', page)[0]
    data = mapping_data(admin, import_id, create_missing="y")
    assert admin.post(f"{BASE}/{import_id}", data=data).status_code == 302
    run_job(customers_app, import_id)
    checked = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "1 new customer types will be created: 企业客户" in checked
    assert "2 new tags will be created: 重点, VIP" in checked
    assert 'data-count="created">3<' in checked and 'data-count="failed">0<' in checked
    admin.post(f"{BASE}/{import_id}/run",
               data={"csrf_token": token(admin.get(f"{BASE}/{import_id}"))})
    run_job(customers_app, import_id)
    assert names(customers_app, CustomerType) == ["企业客户"]
    assert names(customers_app, Tag) == ["VIP", "重点"]
    assert len(kinds(customers_app)) == 3


def test_result_links_to_the_customers_the_import_created(customers_app, admin, tmp_path):
    with customers_app.app_context():
        session = get_session()
        services.create_customer(session, name="早已存在有限公司")
        session.commit()
    import_id = uploaded(customers_app, admin, ROWS.encode("gbk"), "客户.csv")
    admin.post(f"{BASE}/{import_id}", data=mapping_data(admin, import_id, create_missing="y"))
    run_job(customers_app, import_id)
    admin.post(f"{BASE}/{import_id}/run",
               data={"csrf_token": token(admin.get(f"{BASE}/{import_id}"))})
    run_job(customers_app, import_id)
    done = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    link = re.search(r'<a[^>]*data-created-list[^>]*href="([^"]+)"', done)
    assert link and "Show the 3 records this import created" in done
    listed = admin.get(link[1].replace("&amp;", "&")).get_data(as_text=True)
    assert "王晓燕" in listed and "李建国" in listed and "北京华宇科技有限公司" in listed
    assert "早已存在有限公司" not in listed
    assert "早已存在有限公司" in admin.get("/customers/").get_data(as_text=True)
    bad = admin.get("/customers/?import_id=abc")
    assert bad.status_code == 400 and "早已存在有限公司" in bad.get_data(as_text=True)


def test_cli_creates_missing_values_unless_told_not_to(customers_app, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(ROWS.encode("gbk"))
    refused = invoke_cli(customers_app, "customers", "import", str(path), "--json",
                         "--no-create-missing")
    assert json.loads(refused.output.strip().splitlines()[-1])["failed"] == 3, refused.output
    done = invoke_cli(customers_app, "customers", "import", str(path), "--json",
                      "--create-missing")
    assert json.loads(done.output.strip().splitlines()[-1])["created"] == 3, done.output
    assert names(customers_app, CustomerType) == ["企业客户"]


def test_people_are_not_imported_as_companies(customers_app, tmp_path):
    path = tmp_path / "k.csv"
    path.write_bytes(("客户名称,统一社会信用代码,类别\n"
                      "北京华宇科技有限公司,,\n王晓燕,,\n李建国,,\n欧阳建国,,\n"
                      "张三烧烤店,,\n明达,91350100M000100Y43,\n赵敏,,公司\n"
                      "Acme Trading,,\n").encode("gbk"))
    done = invoke_cli(customers_app, "customers", "import", str(path), "--json")
    assert json.loads(done.output.strip().splitlines()[-1])["created"] == 8, done.output
    assert kinds(customers_app) == {
        "北京华宇科技有限公司": "company", "王晓燕": "person", "李建国": "person",
        "欧阳建国": "person", "张三烧烤店": "company", "明达": "company",
        "赵敏": "company", "Acme Trading": "company"}


def stuck_run(app, client) -> int:
    """An import whose run job was queued and whose worker never reported back."""
    import_id = uploaded(app, client, ROWS.encode("gbk"), "客户.csv")
    client.post(f"{BASE}/{import_id}", data=mapping_data(client, import_id, create_missing="y"))
    run_job(app, import_id)
    client.post(f"{BASE}/{import_id}/run",
                data={"csrf_token": token(client.get(f"{BASE}/{import_id}"))})
    return import_id


def age_job(app, import_id, minutes):
    with app.app_context():
        session = get_session()
        job = session.get(Job, session.get(TabularImport, import_id).job_id)
        job.state = "running"
        session.execute(update(Job).where(Job.id == job.id).values(
            updated_at=utcnow() - dt.timedelta(minutes=minutes)))
        session.commit()


def test_an_import_whose_worker_died_can_be_reset_by_its_owner(customers_app, admin):
    import_id = stuck_run(customers_app, admin)
    age_job(customers_app, import_id, 1)
    fresh = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "data-import-stuck" not in fresh  # a job that moved a minute ago is working
    assert "not stuck" in admin.get(f"{BASE}/{import_id}/reset",
                                    follow_redirects=True).get_data(as_text=True)
    age_job(customers_app, import_id, 120)
    page = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "data-import-stuck" in page and f"{BASE}/{import_id}/reset" in page
    other = user_client(customers_app, "clerk", ["admin"])
    assert other.get(f"{BASE}/{import_id}/reset").status_code in (403, 404)
    confirm = admin.get(f"{BASE}/{import_id}/reset")
    assert confirm.status_code == 200 and "Reset import" in confirm.get_data(as_text=True)
    admin.post(f"{BASE}/{import_id}/reset", data={"csrf_token": token(confirm)})
    with customers_app.app_context():
        session = get_session()
        imp = session.get(TabularImport, import_id)
        assert imp.status == "checked"
        assert session.get(Job, imp.job_id).state == "failed"
        assert session.scalar(select(AuditEntry.message).where(
            AuditEntry.action == "import_reset")) == f"Import {import_id} reset from running " \
                                                   "to checked"
    result = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "Import now" in result and "data-import-stuck" not in result
    admin.post(f"{BASE}/{import_id}/run",
               data={"csrf_token": token(admin.get(f"{BASE}/{import_id}"))})
    run_job(customers_app, import_id)
    assert len(kinds(customers_app)) == 3


def test_mapping_step_sets_the_kind_of_rows_without_one(customers_app, admin):
    rows = "客户名称,类别\n王晓燕,\nAcme Trading,\n明达商贸,公司\n"
    import_id = uploaded(customers_app, admin, rows.encode("gbk"), "k.csv")
    page = admin.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert 'name="opt_kind"' in page and "Kind of rows without one" in page
    data = mapping_data(admin, import_id, create_missing="y", opt_kind="person")
    assert data["col_1"] == "kind"
    admin.post(f"{BASE}/{import_id}", data=data)
    run_job(customers_app, import_id)
    assert re.search(r'<option selected value="person">|<option[^>]*value="person"[^>]*selected',
                     admin.get(f"{BASE}/{import_id}").get_data(as_text=True))
    admin.post(f"{BASE}/{import_id}/run",
               data={"csrf_token": token(admin.get(f"{BASE}/{import_id}"))})
    run_job(customers_app, import_id)
    assert kinds(customers_app) == {"王晓燕": "person", "Acme Trading": "person",
                                    "明达商贸": "company"}  # the kind column wins
