"""What the faster import writer (issue 11, 10,000 rows/s) must keep: the lists filtered by
industry read through an index after customers_0010 drops the covered ``(industry, id)``;
a mobile or landline fragment typed either way finds an imported customer though a mobile's
national form is no longer indexed twice; and an import leaves the process's garbage
collector as it found it (a worker runs many)."""

from __future__ import annotations

import csv
import gc
import json

import pytest
from sqlalchemy import create_engine, inspect, select

from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.imports import parallel
from crm_core.testing import create_test_user, invoke_cli
from plugins.customers.models import Customer
from plugins.customers.records.queries import list_statement
from plugins.customers.search import services as search

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
DROPPED = "ix_customers_customer_industry_id"
COVERING = "ix_customers_customer_industry_province_total_amount_id"


def _indexes(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {index["name"] for index in inspect(engine).get_indexes("customers_customer")}
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", DATABASES)
def test_the_migration_drops_the_covered_industry_index_and_downgrading_restores_it(
        crm_make_app, database):
    app = crm_make_app(plugins=["customers"], database=database, migrate=False)
    url = app.config["CRM_DATABASE_URL"]
    assert invoke_cli(app, "db", "upgrade").exit_code == 0
    assert COVERING in _indexes(url) and DROPPED not in _indexes(url)
    down = invoke_cli(app, "db", "downgrade", "customers@4e8b2f6a0c19")
    assert down.exit_code == 0, down.output
    assert DROPPED in _indexes(url)
    assert invoke_cli(app, "db", "upgrade").exit_code == 0
    assert DROPPED not in _indexes(url)


def _import(app, tmp_path, rows):
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["客户名称", "行业", "省份", "手机"])
        writer.writerows(rows)
    result = invoke_cli(app, "customers", "import", str(path), "--json")
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert (counts["created"], counts["failed"]) == (len(rows), 0), result.output[-500:]


def test_a_list_filtered_by_a_rare_industry_still_seeks_it_in_an_index(
        crm_make_app, tmp_path):
    app = crm_make_app(plugins=["customers"])
    create_test_user(app, "root", superuser=True)
    # forty industries of fifteen customers, and four in aerospace: each is selective
    rows = [[f"客户{n:04d}有限公司", "航天" if n % 150 == 0 else f"行业{n % 40}", "北京市", ""]
            for n in range(600)]
    _import(app, tmp_path, rows)
    with app.app_context():
        session = get_session()
        root = session.scalar(select(User).where(User.username == "root"))
        statement = list_statement(select(Customer.id, Customer.name), user=root,
                                   filters={"industry": "航天"}, session=session)
        statement = statement.order_by(Customer.updated_at.desc()).limit(51)
        compiled = statement.compile(session.get_bind(),
                                     compile_kwargs={"literal_binds": True})
        plan = " ".join(row[-1] for row in session.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}"))
        assert f"SEARCH customers_customer USING INDEX {COVERING} (industry=?)" in plan, plan
        assert len(session.execute(statement).all()) == 4


@pytest.mark.parametrize("database", DATABASES)
def test_phone_fragments_typed_either_way_find_imported_customers(
        crm_make_app, tmp_path, monkeypatch, database):
    app = crm_make_app(plugins=["customers"], database=database)
    create_test_user(app, "root", superuser=True)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)  # cleaned in a second process
    _import(app, tmp_path, [["华宇科技有限公司", "", "", "13812345678"],
                            ["明珠贸易有限公司", "", "", "010-62345678"]])
    with app.app_context():
        session = get_session()
        root = session.scalar(select(User).where(User.username == "root"))

        def names(query):
            return [hit.name for hit in search.search_customers(session, query, user=root)]

        for query in ("1381234", "138-1234-5678", "+86 138 1234", "8613812", "345678"):
            assert "华宇科技有限公司" in names(query), query
        for query in ("010-6234", "01062345678", "+86 10 6234", "861062345"):
            assert names(query) == ["明珠贸易有限公司"], query
        assert names("0138123") == []  # a mobile has no trunk 0


def test_an_import_leaves_the_garbage_collector_as_it_found_it(crm_make_app, tmp_path,
                                                               monkeypatch):
    app = crm_make_app(plugins=["customers"])
    create_test_user(app, "root", superuser=True)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    _import(app, tmp_path, [[f"客户{n:03d}", "", "", ""] for n in range(50)])
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, frozen)
