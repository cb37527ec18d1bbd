"""The customer list and ``GET /api/v1/customers`` sort by an indexed custom field
(``sort=custom.<key>``): through the field's index, the customers without a value last in
both directions, page after page; a field without an index is refused like an unknown
sort; the field's column header sorts by it."""

from __future__ import annotations

import html

import pytest
from customers_testing import Browser, add_staff
from sqlalchemy import event

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.custom_fields import service
from crm_core.custom_fields.storage import record_kinds
from crm_core.db import get_session
from plugins.customers import services

EN = {"Accept-Language": "en"}
API = "/api/v1/customers"
#: (name, grade), created in this order
PEOPLE = [("华东医疗", 5), ("一汽配套", None), ("北方重工", 3), ("南方电网", 9),
          ("西部矿业", None), ("东海渔业", 3), ("中原粮油", 1)]
UP = ["中原粮油", "北方重工", "东海渔业", "华东医疗", "南方电网", "一汽配套", "西部矿业"]
DOWN = ["南方电网", "华东医疗", "东海渔业", "北方重工", "中原粮油", "西部矿业", "一汽配套"]


@pytest.fixture(params=["sqlite", "postgresql"])
def customers_app(request, crm_make_app):
    """SQLite and (with CRM_TEST_DATABASE_URL) PostgreSQL: each orders null its own way."""
    return crm_make_app(plugins=["customers"], database=request.param)


@pytest.fixture
def world(customers_app, session):
    customers_app.config["WTF_CSRF_ENABLED"] = False
    root = add_staff(customers_app, session, "root", superuser=True)
    kind = record_kinds(customers_app)["customers.customer"]
    service.create_field(session, kind, {"key": "grade", "type": "integer",
                                         "labels": {"en": "Grade"}, "filterable": True})
    service.create_field(session, kind, {"key": "note", "type": "text",
                                         "labels": {"en": "Note"}})
    for name, grade in PEOPLE:
        services.create_customer(session, name=name,
                                 custom={"grade": grade} if grade is not None else {})
    session.commit()
    with customers_app.app_context():  # the API reads tokens in its own session
        fresh = get_session()
        _row, plain = create_token(fresh, fresh.get(User, root.id), "test")
        fresh.commit()
    return {"web": Browser(customers_app, root),
            "headers": {"Authorization": f"Bearer {plain}"}}


def _order(page: str) -> list[str]:
    found = {name: page.find(f">{name}<") for name, _grade in PEOPLE}
    return sorted((name for name, at in found.items() if at >= 0), key=found.get)


def _get(app, url, headers):
    """An API request in its own app context (the ``session`` fixture keeps one open)."""
    with app.app_context():
        return app.test_client().get(url, headers=headers)


def _walk(app, headers, sort, limit):
    names, cursor = [], None
    while True:
        answer = _get(app, f"{API}?sort={sort}&limit={limit}"
                      + (f"&cursor={cursor}" if cursor else ""), headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        names += [item["name"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return names


def test_the_api_sorts_customers_by_a_custom_field_page_after_page(customers_app, world):
    assert _walk(customers_app, world["headers"], "custom.grade", 2) == UP
    assert _walk(customers_app, world["headers"], "-custom.grade", 3) == DOWN
    for sort in ("custom.note", "custom.nosuch", "-custom.note"):
        refused = _get(customers_app, f"{API}?sort={sort}", world["headers"])
        assert refused.status_code == 422, sort
        assert refused.content_type.startswith("application/problem+json")
        assert "sort" in refused.get_json()["errors"]
    assert "Sort by one of" in refused.get_json()["errors"]["sort"][0]
    assert "custom.grade" in refused.get_json()["errors"]["sort"][0]


def test_the_list_sorts_by_a_clickable_custom_column_and_pages_on(world):
    web = world["web"]
    page = web.get("/customers/?sort=custom.grade&order=asc", headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and _order(text) == UP
    assert "sort=custom.grade" in html.unescape(text)  # the Grade header sorts
    assert _order(web.get("/customers/?sort=custom.grade&order=desc",
                          headers=EN).get_data(as_text=True)) == DOWN
    # 20 a page is the smallest: more customers with and without a grade
    with web.app.app_context():
        session = get_session()
        for number in range(30):
            services.create_customer(session, name=f"客户{number:02d}",
                                     custom={"grade": 100 + number} if number % 2 else {})
        session.commit()
    first = web.get("/customers/?sort=custom.grade&order=desc&size=20", headers=EN)
    text = html.unescape(first.get_data(as_text=True))
    # page 1: the 15 new graded ones (101-129), then the 5 first graded ones (9 to 1)
    assert "客户29" in text and "中原粮油" in text and "一汽配套" not in text
    cursor = text.split("cursor=", 1)[1].split('"', 1)[0].split("&", 1)[0]
    second = html.unescape(web.get(f"/customers/?sort=custom.grade&order=desc&size=20"
                                   f"&cursor={cursor}", headers=EN).get_data(as_text=True))
    # page 2: the 17 without a grade
    assert "中原粮油" not in second and "客户29" not in second
    assert "客户28" in second and "一汽配套" in second and "西部矿业" in second


def test_a_field_without_an_index_is_refused_like_an_unknown_sort(world):
    web = world["web"]
    unknown = web.get("/customers/?sort=bogus", headers=EN)
    refused = web.get("/customers/?sort=custom.note", headers=EN)
    assert refused.status_code == unknown.status_code == 400
    assert "Not a valid choice" in html.unescape(refused.get_data(as_text=True))


def test_the_customer_sort_reads_the_fields_index(customers_app, world):
    seen = []

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        if "json_extract" in statement and "ORDER BY" in statement:
            seen.append((statement, parameters))

    with customers_app.app_context():
        engine = get_session().get_bind()
    if engine.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's (PostgreSQL plans from its statistics)")
    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert _walk(customers_app, world["headers"], "-custom.grade", 3) == DOWN
        page = world["web"].get("/customers/?sort=custom.grade&order=asc", headers=EN)
        assert page.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert len(seen) >= 4
    with engine.connect() as connection:
        for statement, parameters in seen:
            plan = " | ".join(str(row[-1]) for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert "USING INDEX ix_cf_customers_customer_grade" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            assert plan.startswith("SEARCH"), plan  # a seek, not a walk from the start
