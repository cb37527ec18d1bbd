"""A generated Resource list sorts by an indexed custom field (``?sort=custom.<key>``, its
API too) through the field's index, the records without a value last in both directions,
page after page; its column chooser offers every custom field the user may see. The
contacts of the customers plugin (``customers.contact``) as the example."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import event, select

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.custom_fields import service
from crm_core.custom_fields.storage import record_kinds
from crm_core.db import get_session
from crm_core.testing import create_test_user, login
from plugins.customers import services

API = "/api/v1/customers/contacts"
LIST = "/customers/contacts"
EN = {"Accept-Language": "en"}
#: (name, score): created in this order, so ids follow it
PEOPLE = [("甲", 5), ("乙", None), ("丙", 3), ("丁", 9), ("戊", None), ("己", 3), ("庚", 1)]
UP = ["庚", "丙", "己", "甲", "丁", "乙", "戊"]  # 1, 3, 3, 5, 9, then the empty ones by id
DOWN = ["丁", "甲", "己", "丙", "庚", "戊", "乙"]  # 9, 5, 3, 3, 1, then the empty ones
FORGED = "W3siZCI6IjIwMjAtMDEtMDEifSwxXQ"  # [{"d": "2020-01-01"}, 1]: a date for a number


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=["customers"])


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request, crm_make_app):
    """SQLite and (with CRM_TEST_DATABASE_URL) PostgreSQL: each orders null its own way."""
    return crm_make_app(plugins=["customers"], database=request.param)


@pytest.fixture
def world(app):
    return _world(app)


@pytest.fixture
def any_world(any_app):
    return _world(any_app)


def _world(app):
    with app.app_context():
        session = get_session()
        kind = record_kinds(app)["customers.contact"]
        service.create_field(session, kind, {
            "key": "score", "type": "integer", "labels": {"en": "Score"},
            "filterable": True})
        service.create_field(session, kind, {
            "key": "nick", "type": "text", "labels": {"en": "Nickname"}})
        service.create_field(session, kind, {
            "key": "secret", "type": "text", "labels": {"en": "Board code"},
            "filterable": True, "view_roles": ["manager"]})
        service.create_field(session, kind, {
            "key": "memo", "type": "long_text", "labels": {"en": "Long memo"}})
        customer = services.create_customer(session, name="华东医疗")
        session.commit()
        root = create_test_user(app, "root", superuser=True)
        _row, plain = create_token(session, session.get(User, root.id), "test")
        session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    client = app.test_client()
    for name, score in PEOPLE:
        custom = {"nick": f"小{name}", "secret": f"S-{name}"}
        if score is not None:
            custom["score"] = score
        made = client.post(API, json={"customer_id": customer.id, "name": name,
                                      "custom": custom}, headers=headers)
        assert made.status_code == 201, made.get_json()
    return {"root": root, "headers": headers}


def _walk(client, headers, sort, limit=2):
    """Every name of the API list, page after page; the cursors of the pages."""
    names, cursors, cursor = [], [], None
    while True:
        url = f"{API}?sort={sort}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        names += [item["name"] for item in body["items"]]
        cursors.append(body)
        cursor = body["next_cursor"]
        if not cursor:
            return names, cursors


def _names_in(page: str) -> list[str]:
    return [name for name in re.findall(r'class="fw-semibold"[^>]*>([^<]+)<', page)]


def test_the_api_sorts_by_a_custom_field_up_and_down_with_the_empty_ones_last(
        any_app, any_world):
    client, headers = any_app.test_client(), any_world["headers"]
    assert _walk(client, headers, "custom.score")[0] == UP
    names, pages = _walk(client, headers, "-custom.score", limit=3)
    assert names == DOWN
    # back from the last page (among the empty ones) to the one before it, and from
    # the second (values, then an empty one) to the first
    assert pages[-1]["prev_cursor"] and pages[1]["prev_cursor"]
    back = client.get(f"{API}?sort=-custom.score&limit=3&before={pages[-1]['prev_cursor']}",
                      headers=headers).get_json()
    assert [item["name"] for item in back["items"]] == DOWN[3:6]
    first = client.get(f"{API}?sort=-custom.score&limit=3&before={pages[1]['prev_cursor']}",
                       headers=headers).get_json()
    assert [item["name"] for item in first["items"]] == DOWN[:3]
    assert first.get("prev_cursor") is None
    # a forged cursor is refused naming it, not handed to the database
    forged = client.get(f"{API}?sort=custom.score&cursor={FORGED}", headers=headers)
    assert forged.status_code == 422 and "cursor" in forged.get_json()["errors"]


def test_a_field_without_an_index_or_unknown_is_refused_naming_sort(app, world):
    client = app.test_client()
    for sort in ("custom.nick", "-custom.nosuch", "custom.memo", "custom.Bad"):
        answer = client.get(f"{API}?sort={sort}", headers=world["headers"])
        assert answer.status_code == 422, sort
        assert answer.content_type.startswith("application/problem+json")
        assert "sort" in answer.get_json()["errors"]
    page = login(app.test_client(), world["root"]).get(f"{LIST}?sort=custom.nick",
                                                       headers=EN)
    text_ = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and "Not a sort of this list: custom.nick" in text_
    assert "custom.score" in text_.split("Not a sort of this list")[1][:300]


def test_the_list_page_sorts_by_a_clickable_custom_header_and_pages_on(app, world):
    browser = login(app.test_client(), world["root"])
    page = browser.get(f"{LIST}?sort=custom.score", headers=EN).get_data(as_text=True)
    assert _names_in(page) == UP
    assert "sort=-custom.score" in page and 'aria-sort="ascending"' in page
    page = browser.get(f"{LIST}?sort=-custom.score", headers=EN).get_data(as_text=True)
    assert _names_in(page) == DOWN
    # the list's own next page: the HTML list reads the API's cursors, as its own
    _names, pages = _walk(app.test_client(), world["headers"], "-custom.score", limit=4)
    rest = browser.get(f"{LIST}?sort=-custom.score&cursor={pages[0]['next_cursor']}",
                       headers=EN).get_data(as_text=True)
    assert _names_in(rest) == DOWN[4:] and 'rel="prev"' in rest


def test_the_sort_reads_the_fields_index(app, world):
    """A page sorted by the field, on and after a cursor, in both parts (values, then
    the empty ones): each statement walks the field's index, never a temporary sort."""
    from crm_core.custom_fields.sorting import sort_field, sorted_page
    from plugins.customers.models import Contact

    seen: list[tuple[str, object]] = []

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        if "json_extract" in statement and "ORDER BY" in statement:
            seen.append((statement, parameters))

    with app.test_request_context():
        session = get_session()
        engine = session.get_bind()
        kind = record_kinds(app)["customers.contact"]
        item = sort_field(session, kind.key, "custom.score", None)
        event.listen(engine, "before_cursor_execute", remember)
        try:
            names, cursor = [], None
            while True:
                page = sorted_page(session, select(Contact), kind, item, limit=3,
                                   cursor=cursor)
                names += [contact.name for contact in page.items]
                cursor = page.next_cursor
                if not cursor:
                    break
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        assert names == UP
        assert len(seen) >= 4  # values, values then empty ones, empty ones, and back
        for statement, parameters in seen:
            plan = " | ".join(str(row[-1]) for row in session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert "USING INDEX ix_cf_customers_contact_score" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            assert plan.startswith("SEARCH"), plan  # a seek, not a walk from the start


def test_the_column_chooser_offers_every_visible_field_and_keeps_the_choice(app, world):
    browser = login(app.test_client(), world["root"])
    page = browser.get(LIST, headers=EN).get_data(as_text=True)
    # by default the filterable fields are columns; every field but long text is offered
    assert 'value="custom.nick"' in page and 'value="custom.score"' in page
    assert 'value="custom.memo"' not in page
    assert "小甲" not in page and "S-甲" in page
    chosen = browser.get(f"{LIST}?col=name&col=custom.nick", headers=EN)
    text_ = chosen.get_data(as_text=True)
    assert "小甲" in text_ and "S-甲" not in text_
    assert "cols=name%2Ccustom.nick" in text_  # kept in the page's links
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text_)[1]
    saved = browser.post(f"{LIST}/views", data={"csrf_token": token, "name": "Nicks",
                                               "cols": "name,custom.nick"})
    assert saved.status_code == 302
    again = browser.get(saved.headers["Location"], headers=EN).get_data(as_text=True)
    assert "小甲" in again and "S-甲" not in again


def test_a_field_limited_to_a_role_is_neither_column_nor_sort_for_others(app, world):
    rep = create_test_user(app, "rep", roles=["sales"])
    browser = login(app.test_client(), rep)
    page = browser.get(f"{LIST}?col=name&col=custom.secret&sort=custom.secret",
                       headers=EN)
    text_ = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert 'id="col-custom.secret"' not in text_ and "S-甲" not in text_
    assert "Not a sort of this list: custom.secret" in text_
