"""The list says how many customers match and which of them the page shows ("Customers
21–25 of 25"): exact up to 10,000, "about N" above from the database's statistics, without
ever counting every row (a bounded count, then the estimate)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from customers_testing import add_user, app_session, client_for, link
from sqlalchemy import event

from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from crm_core.toolkit import Count, count_rows
from plugins.customers import services
from plugins.customers.models import Customer
from plugins.customers.records import bulk


@pytest.fixture(params=["sqlite", "postgresql"])
def team(request, crm_make_app):
    """25 customers of sally's team (C00..C24, even ones in IT) on either database."""
    app = crm_make_app(plugins=["customers"], database=request.param)
    with app_session(app) as session:
        team_a = create_department(session, "Team A").id
        sally = add_user(app, session, "sally", ["sales"], team_a)
        for number in range(25):
            services.create_customer(session, name=f"C{number:02d}", owner_id=sally,
                                     department_id=team_a,
                                     industry="IT" if number % 2 == 0 else "Retail")
    return app, sally


def total_of(client, html):
    """The page's position line as the browser shows it once htmx loaded the total."""
    match = re.search(r'id="list-total"[^>]*hx-get="([^"]+)"', html)
    assert match, "the list has no total"
    return client.get(unescape(match.group(1))).get_data(as_text=True).strip()


def test_the_list_shows_the_rows_shown_and_the_exact_total(team):
    app, sally = team
    client = client_for(app, sally)
    first = client.get("/customers/?sort=name&order=asc").get_data(as_text=True)
    assert "Customers 1–20" in first  # before the total arrives
    assert total_of(client, first) == "Customers 1–20 of 25"

    second = client.get(link(first, "next")).get_data(as_text=True)
    assert "Customers 21–25" in second and 'id="page-number">Page 2<' in second
    assert total_of(client, second) == "Customers 21–25 of 25"

    back = client.get(link(second, "prev")).get_data(as_text=True)
    assert total_of(client, back) == "Customers 1–20 of 25"

    filtered = client.get("/customers/?industry=IT").get_data(as_text=True)
    assert total_of(client, filtered) == "Customers 1–13 of 13"


def test_a_page_reached_without_its_number_still_names_the_total(team):
    app, sally = team
    client = client_for(app, sally)
    first = client.get("/customers/?sort=name&order=asc").get_data(as_text=True)
    cursor = re.search(r"cursor=([^&\"]+)", link(first, "next")).group(1)
    html = client.get(f"/customers/?sort=name&order=asc&cursor={cursor}").get_data(
        as_text=True)
    assert total_of(client, html) == "25 customers"


@pytest.fixture
def crowd(crm_make_app):
    """12,000 customers (half in IT) loaded in bulk and analysed, as after a big import."""
    app = crm_make_app(plugins=["customers"])
    with app_session(app) as session:
        admin = add_user(app, session, "boss", ["admin"])
        bulk.insert_customers(session, [
            {"name": f"客户{number:05d}", "industry": "IT" if number % 2 else "Retail",
             "owner_id": admin} for number in range(12_000)], index=False)
        bulk.analyze(session)
    return app, admin


def test_above_ten_thousand_the_total_is_an_estimate_and_nothing_counts_every_row(crowd):
    app, admin = crowd
    client = client_for(app, admin)
    statements: list[str] = []
    with app.app_context():
        engine = get_session().get_bind()

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        html = client.get("/customers/").get_data(as_text=True)
        assert total_of(client, html) == "Customers 1–20 of about 12,000"
        # under 10,000 matching rows the count is exact, whatever the table's size
        assert total_of(client, client.get("/customers/?industry=IT").get_data(
            as_text=True)) == "Customers 1–20 of 6,000"
    finally:
        event.remove(engine, "before_cursor_execute", record)
    counts = [sql for sql in statements if "count(" in sql.lower()]
    assert counts, "the total was not counted"
    # every count reads a bounded subquery or the sample, never the customer table itself
    assert not [sql for sql in counts
                if re.search(r"count\(\*\)[^()]*FROM customers_customer\b", sql, re.I)]


def test_count_rows_is_exact_below_the_cap_and_estimated_above(crowd):
    app, _admin = crowd
    with app.app_context():
        session = get_session()
        from sqlalchemy import select

        everyone = select(Customer.id).where(Customer.deleted_at.is_(None))
        assert count_rows(session, everyone, cap=20_000) == Count(12_000, exact=True)
        assert count_rows(session, everyone, cap=1_000) == Count(12_000, exact=False,
                                                                 estimated=True)
        retail = everyone.where(Customer.industry == "Retail")
        estimate = count_rows(session, retail, cap=1_000)
        assert estimate.estimated and 5_500 <= estimate.value <= 6_500
        # rows deleted for good leave gaps in the ids: the estimate counts the rows left
        session.connection().exec_driver_sql(
            "DELETE FROM customers_customer WHERE id % 4 = 0")
        estimate = count_rows(session, everyone, cap=1_000)
        assert estimate.estimated and 8_500 <= estimate.value <= 9_500

