"""Custom fields in the customers' imports and exports: a spreadsheet whose Chinese headers
are the fields' labels maps to them by itself, a bad value names its row and column, an
upsert changes only the fields its cells give, and the export writes a column per field
that an import reads back."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select
from test_import_scope import import_file
from test_import_web import BASE, mapping_data, run_job, token, uploaded

from crm_core.custom_fields import service
from crm_core.custom_fields.storage import record_kinds
from crm_core.db import get_session
from crm_core.testing import create_test_user, login
from plugins.customers import services
from plugins.customers.exporting.services import write_export
from plugins.customers.models import Customer

ROWS = ("客户名称,细分行业,年采购额\n"
        "华东医疗器械有限公司,医疗器械,\"1,200,000.50\"\n"
        "一汽配套有限公司,汽车零部件,300000\n")


@pytest.fixture
def admin(customers_app):
    with customers_app.app_context():
        session = get_session()
        kind = record_kinds(customers_app)["customers.customer"]
        service.create_field(session, kind, {
            "key": "segment", "type": "choice", "options": ["医疗器械", "汽车零部件"],
            "labels": {"zh_CN": "细分行业", "en": "Segment"}, "filterable": True})
        service.create_field(session, kind, {
            "key": "budget", "type": "money",
            "labels": {"zh_CN": "年采购额", "en": "Annual purchases"}})
        session.commit()
    return login(customers_app.test_client(),
                 create_test_user(customers_app, "boss", superuser=True))


def imported(app, client, content: str, mapped=("custom.segment", "custom.budget")) -> str:
    import_id = uploaded(app, client, content.encode("gbk"), "客户.csv")
    data = mapping_data(client, import_id)
    assert set(mapped) <= set(data.values()), data
    client.post(f"{BASE}/{import_id}", data=data)
    run_job(app, import_id)
    client.post(f"{BASE}/{import_id}/run",
                data={"csrf_token": token(client.get(f"{BASE}/{import_id}"))})
    run_job(app, import_id)
    return client.get(f"{BASE}/{import_id}").get_data(as_text=True)


def stored(app) -> dict[str, dict]:
    with app.app_context():
        return dict(get_session().execute(select(Customer.name, Customer.custom)).all())


def test_chinese_headers_map_to_the_fields_and_values_are_stored(customers_app, admin):
    imported(customers_app, admin, ROWS)
    assert stored(customers_app) == {
        "华东医疗器械有限公司": {"segment": "医疗器械", "budget": 120000050},
        "一汽配套有限公司": {"segment": "汽车零部件", "budget": 30000000}}


def test_a_bad_value_names_its_column(customers_app, admin):
    page = imported(customers_app, admin, "客户名称,细分行业\n坏数据公司,航天\n",
                    mapped=("custom.segment",))
    assert "航天 is not one of the options" in page
    assert stored(customers_app) == {}


def test_an_upsert_changes_only_the_given_fields(customers_app, admin, tmp_path):
    with customers_app.app_context():
        session = get_session()
        services.create_customer(session, name="华东医疗器械有限公司", code="C1",
                                 custom={"segment": "汽车零部件", "budget": "5"})
        session.commit()
    path = tmp_path / "upsert.csv"
    path.write_text("编码,客户名称,细分行业\nC1,华东医疗器械有限公司,医疗器械\n", encoding="utf-8")
    with customers_app.app_context():
        import_file(customers_app, path, None, mode="upsert", key="code")
    assert stored(customers_app)["华东医疗器械有限公司"] == {"segment": "医疗器械",
                                                           "budget": 500}


def test_the_export_has_a_column_per_field(customers_app, admin, tmp_path):
    imported(customers_app, admin, ROWS)
    path = tmp_path / "out.csv"
    with customers_app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        write_export(get_session(), path, fmt="csv")
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    assert header[-2:] == ["细分行业", "年采购额"]
    values = {row[header.index("名称") if "名称" in header else 1]: row[-2:] for row in rows[1:]}
    assert values["华东医疗器械有限公司"] == ["医疗器械", "1200000.50"]
