"""The customer list page: filters and sorting through the page, keyset pages forwards and
backwards, field errors, the empty state, quick search, and the menu entry."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from customers_testing import add_customers, add_user, app_session, client_for, csrf, link, listed

from crm_core.rbac.departments import create_department
from crm_core.testing_clients import statements_of
from plugins.customers import services


@pytest.fixture(params=["sqlite", "postgresql"])
def team(request, crm_make_app):
    """An app on either database with 25 customers of sally's team (C00..C24: even ones in
    IT, amount = 10 × number) and one IT customer of another team; returns (app, sally)."""
    app = crm_make_app(plugins=["customers"], database=request.param)
    with app_session(app) as session:
        team_a = create_department(session, "Team A").id
        team_b = create_department(session, "Team B").id
        sally = add_user(app, session, "sally", ["sales"], team_a)
        bob = add_user(app, session, "bob", ["sales"], team_b)
        for number in range(25):
            customer = services.create_customer(
                session, name=f"C{number:02d}", industry="IT" if number % 2 == 0 else "Retail",
                owner_id=sally, department_id=team_a)
            services.adjust_total_amount(session, customer.id, 10 * number)
        add_customers(session, ["Bravo"], industry="IT", owner_id=bob, department_id=team_b)
    return app, sally


def test_filters_sort_and_keyset_pages_through_the_page(team):
    app, sally = team
    client = client_for(app, sally)

    page = client.get("/customers/?industry=IT&sort=name&order=asc").get_data(as_text=True)
    assert listed(page) == [f"C{number:02d}" for number in range(0, 25, 2)]  # not Bravo

    page = client.get("/customers/?sort=amount&order=desc&amount_min=200&amount_max=230"
                      ).get_data(as_text=True)
    assert listed(page) == ["C23", "C22", "C21", "C20"]
    assert "230.00" in page

    first = client.get("/customers/?sort=name&order=asc&size=20").get_data(as_text=True)
    assert listed(first) == [f"C{number:02d}" for number in range(20)]
    assert link(first, "prev") is None
    second = client.get(link(first, "next")).get_data(as_text=True)
    assert listed(second) == [f"C{number:02d}" for number in range(20, 25)]
    assert link(second, "next") is None
    back = client.get(link(second, "prev")).get_data(as_text=True)
    assert listed(back) == listed(first)
    assert link(back, "prev") is None and link(back, "next") == link(first, "next")

    newest = client.get("/customers/?sort=created&order=desc&size=20").get_data(as_text=True)
    assert listed(newest)[:2] == ["C24", "C23"]
    older = client.get(link(newest, "next")).get_data(as_text=True)
    assert listed(older) == ["C04", "C03", "C02", "C01", "C00"]
    assert listed(client.get(link(older, "prev")).get_data(as_text=True)) == listed(newest)


def test_the_page_runs_as_many_statements_for_one_customer_as_for_twenty_five(team):
    # The list shows no phone or email: they are not read, and nothing is read per row
    # (a statement per customer would show as more statements on the bigger page).
    app, sally = team
    client = client_for(app, sally)
    client.get("/customers/")  # the session's first use

    def read(url):
        return statements_of(app, client, url, lambda sql: (
            "contacts" if re.search(r"customers_customer_(phone|email)\b", sql) else "other"))

    one = read("/customers/?amount_max=0&size=50")  # C00 alone
    all_ = read("/customers/?amount_max=1000&size=50")
    assert "contacts" not in one and "contacts" not in all_
    assert len(one["other"]) == len(all_["other"])


def test_field_errors_empty_states_and_the_menu(customers_app):
    with app_session(customers_app) as session:
        sally = add_user(customers_app, session, "sally", ["sales"])
        vera = add_user(customers_app, session, "vera", ["viewer"])
        nobody = add_user(customers_app, session, "nobody", [])
    sales, viewer = client_for(customers_app, sally), client_for(customers_app, vera)

    # Empty: sales may add the first customer, a viewer is only told there are none.
    page = sales.get("/customers/").get_data(as_text=True)
    assert "No customers yet." in page and 'href="/customers/new"' in page
    page = viewer.get("/customers/").get_data(as_text=True)
    assert "No customers yet." in page and 'href="/customers/new"' not in page
    later = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    page = sales.get(f"/customers/?created_from={later}").get_data(as_text=True)
    assert "No customers match these filters." in page

    # A bad value is a field error (400) and is left out rather than guessed.
    with app_session(customers_app) as session:
        add_customers(session, ["Mine"], owner_id=sally)
    response = sales.get("/customers/?amount_min=lots&created_from=2026-13-45")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not a valid decimal value" in page and "Not a valid date value" in page
    assert listed(page) == ["Mine"]
    page = sales.get("/customers/?amount_min=50&amount_max=10").get_data(as_text=True)
    assert "Must not be before the “from” value." in page

    # The menu leads there for whoever may view customers; others get 403.
    home = viewer.get("/").get_data(as_text=True)
    assert 'href="/customers/"' in home and "bi-people" in home
    assert client_for(customers_app, nobody).get("/customers/").status_code == 403


def test_quick_search_shows_the_best_matches_within_the_users_scope(customers_app):
    from plugins.customers.search import services as search

    if not hasattr(search, "search_customers"):
        pytest.skip("the search part has no search_customers yet")
    with app_session(customers_app) as session:
        team_a = create_department(session, "Team A").id
        sally = add_user(customers_app, session, "sally", ["sales"], team_a)
        add_customers(session, ["北京华宇科技有限公司", "上海华宇贸易", "Acme"], owner_id=sally,
                      department_id=team_a)
        add_customers(session, ["北京华宇物流"])  # nobody's: outside sally's scope
    client = client_for(customers_app, sally)
    page = client.get("/customers/?q=华宇").get_data(as_text=True)
    assert sorted(listed(page)) == ["上海华宇贸易", "北京华宇科技有限公司"]
    assert "best 200 matches" in page.lower()
    # A bulk action on "all matches shown" counts exactly those.
    confirm = client.post("/customers/bulk", data={
        "csrf_token": csrf(page), "action": "change_type", "scope": "all",
        "filters_qs": "q=华宇"}).get_data(as_text=True)
    assert "2 customers will be changed." in confirm
    page = client_for(customers_app, sally).get("/customers/?q=华宇&province=nowhere"
                                                ).get_data(as_text=True)
    assert listed(page) == []
