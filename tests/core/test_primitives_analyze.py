"""Planner statistics: ``toolkit.analyze(tables)`` on SQLite and PostgreSQL, and ``PRAGMA
optimize`` when a pooled SQLite connection is closed."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import text

from crm_core import toolkit
from crm_core.db import get_session
from crm_core.testing import create_test_user


def _add_users(app, count: int) -> None:
    for number in range(count):
        create_test_user(app, f"user{number:03d}")


def _stat_tables(session) -> set[str]:
    return {row[0] for row in session.execute(text("SELECT tbl FROM sqlite_stat1"))}


def test_analyze_writes_sqlite_statistics_for_the_named_tables_only(crm_make_app):
    app = crm_make_app(plugins=[])
    _add_users(app, 5)
    with app.app_context():
        session = get_session()
        done = toolkit.analyze(["core_user", "customers_search_doc"])
        session.commit()
        assert done == ["core_user"]  # a table this database lacks is skipped
        assert "core_user" in _stat_tables(session)
        assert "core_job" not in _stat_tables(session)
        # The connection's sample size is left as it was (the kernel sets one at connect).
        assert session.execute(text("PRAGMA analysis_limit")).scalar() == 2000


def test_analyze_refuses_what_is_not_a_table_name(crm_make_app):
    app = crm_make_app(plugins=[])
    with app.app_context(), pytest.raises(ValueError, match="not a table name"):
        toolkit.analyze(["core_user; DROP TABLE core_user"])


def test_analyze_on_postgresql_records_the_analysis(crm_make_app):
    app = crm_make_app(plugins=[], database="postgresql")
    _add_users(app, 3)
    with app.app_context():
        session = get_session()
        assert toolkit.analyze(["core_user"]) == ["core_user"]
        session.commit()
        analysed = session.execute(text(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'core_user'"
        )).scalar()
    assert analysed is not None


def test_a_closed_sqlite_connection_leaves_fresh_statistics_behind(crm_make_app):
    app = crm_make_app(plugins=[])
    path = app.config["CRM_DATABASE_URL"].removeprefix("sqlite:///")
    with app.app_context():
        session = get_session()
        session.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, kind TEXT)"))
        session.execute(text("CREATE INDEX scratch_kind ON scratch (kind)"))
        session.execute(text("INSERT INTO scratch (kind) VALUES " + ", ".join(
            f"('k{number % 7}')" for number in range(700))))
        session.commit()
        assert session.execute(text("SELECT count(*) FROM scratch WHERE kind = 'k1'")
                               ).scalar() == 100
        session.commit()
    app.extensions["crm_db"].engine.dispose()  # pooled connections close: PRAGMA optimize
    with sqlite3.connect(path) as raw:
        tables = {row[0] for row in raw.execute("SELECT tbl FROM sqlite_stat1")}
    assert "scratch" in tables


def test_optimize_never_waits_for_another_writers_lock(crm_make_app):
    app = crm_make_app(plugins=[])
    path = app.config["CRM_DATABASE_URL"].removeprefix("sqlite:///")
    with app.app_context():
        get_session().execute(text("SELECT count(*) FROM core_user")).all()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        app.extensions["crm_db"].engine.dispose()
        assert time.monotonic() - started < 5  # not the 30 s busy timeout
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_sampled_analyze_does_not_take_a_big_department_for_a_selective_one(crm_make_app):
    """Sampling stops at ``sample_rows`` index entries: a department holding half of a big
    table looked like "sample_rows + 1 rows per department", and the department's list
    merged two indexes and sorted half the table. The saturated estimate is counted
    exactly, and the newest rows are read instead."""
    app = crm_make_app(plugins=[])
    with app.app_context():
        session = get_session()
        session.execute(text("CREATE TABLE scratch_ticket (id INTEGER PRIMARY KEY, "
                             "department_id INTEGER, assignee_id INTEGER)"))
        session.execute(text("CREATE INDEX ix_scratch_department ON "
                             "scratch_ticket (department_id)"))
        session.execute(text("CREATE INDEX ix_scratch_assignee ON "
                             "scratch_ticket (assignee_id, id)"))
        session.execute(text(
            "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n "
            "WHERE value < 6000) INSERT INTO scratch_ticket (department_id, assignee_id) "
            "SELECT value % 2 + 1, value % 600 FROM n"))
        toolkit.analyze(["scratch_ticket"], sample_rows=100)
        session.commit()
        stats = dict(session.execute(text(
            "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'scratch_ticket'")).all())
        assert stats["ix_scratch_department"] == "6000 3000"
        assert stats["ix_scratch_assignee"].split()[1] == "10"  # not saturated: as sampled
        plan = " ".join(str(row[-1]) for row in session.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM scratch_ticket WHERE department_id = 1 "
            "OR assignee_id = 7 ORDER BY id DESC LIMIT 51")))
        assert "MULTI-INDEX OR" not in plan, plan
