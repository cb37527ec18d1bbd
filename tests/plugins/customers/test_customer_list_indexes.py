"""The indexes of the lists people use (issue 11, "Speed at a million"): migration
customers_0009 creates them, and the SQLite planner reads the list through them — a rep's
own customers newest first, an industry and province sorted by amount - as one index range
in the list's order, never a sort of every matching customer (the sort made those lists
80-237 ms at a million). A common industry alone is read by walking the index of the list's
order (SQLite would read the whole industry and sort it: 110 ms at a million)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from customers_testing import add_user
from sqlalchemy import create_engine, event, insert, inspect, text

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.testing import invoke_cli
from plugins.customers.models import Customer

NEW = {"ix_customers_customer_owner_id_updated_at_id": ["owner_id", "updated_at", "id"],
       "ix_customers_customer_industry_province_total_amount_id": ["industry", "province",
                                                                   "total_amount", "id"]}
INDUSTRIES = ("信息技术", "制造业", "批发零售", "金融", "房地产", "医药健康", "教育培训",
              "物流运输")
PROVINCES = ("广东", "上海", "北京", "浙江", "江苏", "四川")


def indexes(url: str) -> dict[str, list[str]]:
    engine = create_engine(url)
    try:
        return {index["name"]: index["column_names"]
                for index in inspect(engine).get_indexes("customers_customer")}
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_the_migration_adds_the_list_indexes_and_downgrading_removes_them(crm_make_app,
                                                                          database):
    app = crm_make_app(plugins=["customers"], database=database, migrate=False)
    url = app.config["CRM_DATABASE_URL"]
    assert invoke_cli(app, "db", "upgrade").exit_code == 0
    found = indexes(url)
    assert {name: found.get(name) for name in NEW} == NEW
    down = invoke_cli(app, "db", "downgrade", "customers@6106506e4b99")
    assert down.exit_code == 0, down.output
    assert not set(NEW) & set(indexes(url))
    assert invoke_cli(app, "db", "upgrade").exit_code == 0
    assert set(NEW) <= set(indexes(url))


@pytest.fixture
def filled(customers_app):
    """3,000 customers over 8 industries, 6 provinces and 10 owners; analyzed."""
    with customers_app.test_request_context():
        session = get_session()
        root = add_user(customers_app, session, "root", [], superuser=True)
        owners = [add_user(customers_app, session, f"rep{n}", ["sales"]) for n in range(10)]
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        session.execute(insert(Customer), [
            {"name": f"客户{n:05d}", "industry": INDUSTRIES[n % len(INDUSTRIES)],
             "province": PROVINCES[n % len(PROVINCES)], "owner_id": owners[n % 10],
             "total_amount": (n * 7919) % 1_000_000, "created_at": start,
             "updated_at": start + dt.timedelta(minutes=(n * 31) % 3000)}
            for n in range(3000)])
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
    # the widgets' counts, by which the list knows a common industry from a rare one
    assert invoke_cli(customers_app, "customers", "refresh-stats").exit_code == 0
    with customers_app.test_request_context():
        session = get_session()
        tokens = {}
        for name, user_id in (("root", root), ("rep0", owners[0])):
            tokens[name] = {"Authorization": "Bearer " + create_token(
                session, session.get(User, user_id), "test")[1]}
        session.commit()
    return {"tokens": tokens, "rep0": owners[0]}


def plan_of_page(app, client, url: str, headers) -> str:
    """SQLite's query plan of the customers page statement that GET ``url`` runs."""
    pages: list[tuple[str, tuple]] = []

    def record(_conn, _cursor, sql, parameters, *_args):  # type: ignore[no-untyped-def]
        if "FROM customers_customer" in sql and "ORDER BY" in sql and "LIMIT" in sql:
            pages.append((sql, parameters))

    engine = app.extensions["crm_db"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = client.get(url, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert answer.status_code == 200 and answer.get_json()["items"], url
    assert len(pages) == 1, pages
    sql, parameters = pages[0]
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).all()
    return "\n".join(row[-1] for row in rows)


def test_the_planner_reads_the_common_lists_through_their_index(customers_app, filled):
    client = customers_app.test_client()
    api = "/api/v1/customers?limit=50"
    cases = [  # (who, the list, the index that serves both its filter and its order)
        ("root", f"{api}&industry=金融&province=上海&sort=-amount",
         "ix_customers_customer_industry_province_total_amount_id"),
        ("root", f"{api}&industry=金融&province=上海&sort=amount",
         "ix_customers_customer_industry_province_total_amount_id"),
        ("root", f"{api}&owner_id={filled['rep0']}",
         "ix_customers_customer_owner_id_updated_at_id"),
        ("rep0", api, "ix_customers_customer_owner_id_updated_at_id"),  # sees their own
        # an industry alone (one customer in 8 here): walk the order's index, no sort
        ("root", f"{api}&industry=金融", "ix_customers_customer_updated_at_id"),
        ("root", f"{api}&industry=金融&sort=-amount", "ix_customers_customer_total_amount_id"),
    ]
    for who, url, index in cases:
        headers = filled["tokens"][who]
        first = client.get(url, headers=headers).get_json()
        for page in (url, f"{url}&cursor={first['next_cursor']}"):  # first and deep
            plan = plan_of_page(customers_app, client, page, headers)
            assert re.search(rf"USING INDEX {index}\b", plan), (who, page, plan)
            assert "TEMP B-TREE FOR ORDER BY" not in plan, (who, page, plan)
