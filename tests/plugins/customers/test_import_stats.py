"""The dashboard's counts after an import (``importing.rows.after_run``): a few new customers
are added to the counts instead of counting a million again (8 s), and every case where
that could count a customer twice or miss a change counts everything again: customers
updated, imports as large as the rest, a refresh since the import began, no refresh yet."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from test_import_data import GOOD_ROWS, write_csv

from crm_core.db import get_session
from crm_core.testing import invoke_cli
from plugins.customers.classification import services as classification
from plugins.customers.importing import rows as import_rows
from plugins.customers.models import Customer, CustomerStat
from plugins.customers.records import bulk

INDUSTRIES = ["软件", "贸易", "制造业"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def customers_app(request, crm_make_app):
    """The customers plugin on SQLite, and on PostgreSQL when a test server is given."""
    return crm_make_app(plugins=["customers"], database=request.param)


def counts(session):
    """Every count row but the refresh mark, comparable across refreshes."""
    return sorted((stat.dimension, stat.bucket, stat.owner_id, stat.department_id, stat.count,
                   stat.amount)
                  for stat in session.scalars(select(CustomerStat).where(
                      CustomerStat.dimension != classification.REFRESHED)))


@pytest.fixture
def counted(customers_app):
    """Twelve customers, counted by a refresh."""
    with customers_app.app_context():
        session = get_session()
        bulk.insert_customers(session, [{"name": f"老客户{number}",
                                         "industry": INDUSTRIES[number % 3],
                                         "province": "北京" if number % 2 else "上海",
                                         "level": "A"} for number in range(12)])
        session.commit()
        classification.refresh_stats(session)
        session.commit()
        return classification.last_refreshed(session)


def import_file(app, tmp_path, rows, *options):
    result = invoke_cli(app, "customers", "import",
                        str(write_csv(tmp_path / "import.csv", rows)), "--json", *options)
    return json.loads(result.stdout.strip().splitlines()[-1])


def recounted(session):
    classification.refresh_stats(session)
    session.commit()
    return counts(session)


def test_a_few_new_customers_are_added_to_the_counts(customers_app, counted, tmp_path):
    assert import_file(customers_app, tmp_path, GOOD_ROWS)["created"] == 3
    with customers_app.app_context():
        session = get_session()
        assert classification.last_refreshed(session) == counted  # nothing counted again
        added = counts(session)
        assert ("industry", "软件", None, None, 5, 0) in added  # 4 before, 1 imported
        assert ("industry", "Retail", None, None, 1, 0) in added  # a bucket of its own
        assert added == recounted(session)


def test_an_import_that_updates_customers_counts_everything_again(customers_app, counted,
                                                                   tmp_path):
    import_file(customers_app, tmp_path, GOOD_ROWS)
    changed = [[*GOOD_ROWS[0][:5], "制造业", *GOOD_ROWS[0][6:]]]  # HY001 changes industry
    assert import_file(customers_app, tmp_path, changed, "--mode", "upsert")["updated"] == 1
    with customers_app.app_context():
        session = get_session()
        assert classification.last_refreshed(session) > counted
        assert ("industry", "软件", None, None, 4, 0) in counts(session)
        assert counts(session) == recounted(session)


def test_an_import_as_large_as_the_rest_counts_everything_again(customers_app, tmp_path):
    with customers_app.app_context():
        session = get_session()
        bulk.insert_customers(session, [{"name": "唯一的老客户", "industry": "软件"}])
        session.commit()
        classification.refresh_stats(session)
        session.commit()
        before = classification.last_refreshed(session)
    import_file(customers_app, tmp_path, GOOD_ROWS)
    with customers_app.app_context():
        session = get_session()
        assert classification.last_refreshed(session) > before
        assert counts(session) == recounted(session)


def test_without_any_refresh_yet_an_import_counts_everything(customers_app, tmp_path):
    with customers_app.app_context():
        session = get_session()
        bulk.insert_customers(session, [{"name": f"未统计客户{number}", "industry": "软件"}
                                        for number in range(10)])
        session.commit()
    import_file(customers_app, tmp_path, GOOD_ROWS)
    with customers_app.app_context():
        session = get_session()
        assert ("industry", "软件", None, None, 11, 0) in counts(session)
        assert counts(session) == recounted(session)


def test_customers_a_refresh_has_counted_since_the_import_began_are_not_added_twice(
        customers_app, counted, tmp_path):
    # A long import outlives the ten-minute refresh, which counts the rows it committed so
    # far; the end of the import (a resumed pass's too) must not add them again.
    import_file(customers_app, tmp_path, GOOD_ROWS)
    with customers_app.app_context():
        session = get_session()
        exact = recounted(session)
        imported = session.scalar(select(Customer.import_id).where(Customer.code == "HY001"))
        session.info[import_rows._WRITTEN] = {"imports": {imported}, "updated": False}
        import_rows.after_run(session)
        session.commit()
        assert counts(session) == exact


def test_an_import_keeps_the_counts_of_the_customers_it_did_not_touch(customers_app, counted,
                                                                      tmp_path):
    rows = [["新公司甲", "NEW1", "", "", "", "软件", "北京", ""],
            ["新公司乙", "NEW2", "", "", "", "", "", ""]]
    assert import_file(customers_app, tmp_path, rows)["created"] == 2
    assert import_file(customers_app, tmp_path, [["新公司丙", "NEW3", "", "", "", "软件", "",
                                                  ""]])["created"] == 1
    with customers_app.app_context():
        session = get_session()
        assert ("industry", "软件", None, None, 6, 0) in counts(session)
        assert ("industry", "", None, None, 1, 0) in counts(session)
        assert counts(session) == recounted(session)

