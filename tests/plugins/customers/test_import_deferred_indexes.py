"""A large first import builds the customers' list indexes after its load (kernel
``imports.indexes``): dropped while the rows go in, all there again afterwards (after a
failure too, and after a dead run is reset), and left alone for a small import into a large
table or on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from customers_testing import import_file
from sqlalchemy import func, inspect, select, text

from crm_core.db import get_session
from crm_core.db_maintenance import index_names
from crm_core.imports import indexes
from crm_core.imports import run as run_module
from crm_core.imports.jobs import KINDS, reset_import
from crm_core.imports.models import TabularImport
from crm_core.jobs.models import Job
from crm_core.testing import create_test_user, invoke_cli
from plugins.customers.importing import rows as import_rows
from plugins.customers.importing.specs import LIST_INDEXES
from plugins.customers.models import Customer
from plugins.customers.records import bulk

TABLE = Customer.__table__.name
FAIL_AT: dict[str, int] = {}  # the batch whose write fails, when set


def _present(app):
    with app.app_context():
        session = get_session()
        return {index["name"] for index in inspect(session.connection()).get_indexes(TABLE)}


@pytest.fixture
def loading(crm_make_app, monkeypatch):
    """A customers app whose imports count as large from 10 KiB; records the list indexes
    the database holds while each batch is written."""
    seen: list[set[str]] = []
    write = import_rows.write_batch

    def watching(batch):
        seen.append({index["name"] for index in
                     inspect(batch.session.connection()).get_indexes(TABLE)})
        if len(seen) == FAIL_AT.get("batch"):
            raise RuntimeError("the disk is full")
        return write(batch)

    monkeypatch.setattr(indexes, "DEFER_BYTES", 10 * 1024)
    monkeypatch.setattr(indexes, "ROW_BYTES", 100)
    monkeypatch.setattr(import_rows, "write_batch", watching)
    monkeypatch.setattr(run_module, "BATCH", 200)
    app = crm_make_app(plugins=["customers"])
    create_test_user(app, "root", superuser=True)
    return app, seen


def _import(app, path):
    result = invoke_cli(app, "customers", "import", str(path), "--json")
    return json.loads(result.stdout.strip().splitlines()[-1]), result


def test_a_large_first_import_loads_without_the_list_indexes_and_builds_them_after(
        loading, tmp_path):
    app, seen = loading
    assert set(LIST_INDEXES) <= _present(app)
    counts, result = _import(app, import_file(tmp_path / "first.csv", 600))
    assert (counts["created"], counts["failed"]) == (600, 0), result.output[-500:]
    assert len(seen) >= 3 and all(not set(LIST_INDEXES) & held for held in seen)
    assert "ix_customers_customer_name_key" in seen[0]  # the look-ups keep theirs
    assert set(LIST_INDEXES) <= _present(app)
    with app.app_context():
        assert index_names(get_session().connection(), TABLE) >= _present(app)
    with app.app_context():  # the rebuilt indexes give the list its order
        session = get_session()
        newest = session.scalars(select(Customer.id).order_by(
            Customer.name, Customer.id).limit(3)).all()
        assert newest == sorted(newest, key=lambda found: (session.get(Customer, found).name,
                                                           found))


def test_a_small_import_into_a_larger_table_keeps_its_indexes(loading, tmp_path):
    app, seen = loading
    with app.app_context():
        session = get_session()
        bulk.insert_customers(session, [{"name": f"已有客户{number}"} for number in range(900)])
        session.commit()
    counts, _result = _import(app, import_file(tmp_path / "more.csv", 150))
    assert counts["created"] == 150
    assert seen and all(set(LIST_INDEXES) <= held for held in seen)


def test_a_load_that_fails_half_way_still_gets_its_indexes_back(loading, tmp_path,
                                                                 monkeypatch):
    app, seen = loading
    with app.app_context():  # a few customers, with the planner's statistics
        session = get_session()
        bulk.insert_customers(session, [{"name": f"已有客户{number}"} for number in range(30)])
        bulk.analyze(session)
        session.commit()
    monkeypatch.setitem(FAIL_AT, "batch", 2)
    result = invoke_cli(app, "customers", "import", str(import_file(tmp_path / "f.csv", 600)),
                        "--json")
    assert result.exit_code != 0 and len(seen) == 2
    assert not set(LIST_INDEXES) & seen[1]
    assert set(LIST_INDEXES) <= _present(app)
    with app.app_context():  # nothing was created, and the planner knows the indexes again
        session = get_session()
        assert session.scalar(select(func.count()).select_from(Customer)) == 30
        analysed = set(session.scalars(text(
            "SELECT idx FROM sqlite_stat1 WHERE tbl = 'customers_customer'")))
        assert set(LIST_INDEXES) - {"ix_customers_customer_trash"} <= analysed


def test_a_dead_runs_missing_indexes_come_back_on_reset_and_on_the_next_import(
        loading, tmp_path):
    app, _seen = loading
    _import(app, import_file(tmp_path / "first.csv", 300))
    with app.app_context():
        session = get_session()
        imp = session.scalars(select(TabularImport)).one()
        for name in LIST_INDEXES[:4]:  # what a worker killed during a load leaves
            session.connection().exec_driver_sql(f"DROP INDEX {name}")
        job = Job(kind=KINDS["run"], task="core.tabular_import", state="running")
        session.add(job)
        session.flush()
        imp.status, imp.job_id = "running", job.id  # its worker died: no progress for hours
        session.commit()
        owner = create_test_user(app, "owner", superuser=True)
        assert reset_import(session, imp, user_id=owner.id) == "checked"
    assert set(LIST_INDEXES) <= _present(app)
    with app.app_context():
        session = get_session()
        session.connection().exec_driver_sql(f"DROP INDEX {LIST_INDEXES[0]}")
        session.commit()
    with app.app_context():  # a later import into a table now larger than its file
        session = get_session()
        bulk.insert_customers(session, [{"name": f"另一客户{number}"} for number in range(900)])
        session.commit()
    counts, _result = _import(app, import_file(tmp_path / "later.csv", 50))  # rows seen before
    assert counts["created"] + counts["failed"] + counts["skipped"] == 50
    assert set(LIST_INDEXES) <= _present(app)


@pytest.mark.postgres
def test_postgresql_loads_with_its_indexes(crm_make_app, tmp_path, monkeypatch):
    monkeypatch.setattr(indexes, "DEFER_BYTES", 10 * 1024)
    monkeypatch.setattr(indexes, "ROW_BYTES", 100)
    app = crm_make_app(plugins=["customers"], database="postgresql")
    create_test_user(app, "root", superuser=True)
    with app.app_context():
        session = get_session()
        assert not indexes._worth_it(session, Customer.__table__, 10 ** 9)
        assert index_names(session.connection(), TABLE) >= set(LIST_INDEXES)
    counts, _result = _import(app, import_file(tmp_path / "pg.csv", 300))
    assert counts["created"] == 300 and set(LIST_INDEXES) <= _present(app)
