"""The customer list's column chooser: ``?col=industry&col=custom.note`` shows the name and
just those columns (a custom field that is not filterable too), the choice stays in the
page's links (next page, sorting, filters, bulk actions) as ``cols=``, a field limited to
roles is neither offered nor shown to another role whatever the link says, an unknown name
is ignored, and the Columns menu shows the current choice ticked. Without a choice the list
is as it always was, and a chosen custom column costs no statement."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from customers_testing import add_user, app_session, client_for, link
from sqlalchemy import event

from crm_core.custom_fields import service
from crm_core.custom_fields.storage import record_kinds
from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from plugins.customers import services

EN = {"Accept-Language": "en"}
KIND = "customers.customer"
BUILT_IN = ["Code", "Name", "Kind", "Type", "Industry", "Region", "Owner", "Tags", "Amount",
            "Last contact", "Updated", "Created"]


@pytest.fixture
def world(crm_make_app):
    """25 customers of sally (sales) with a filterable Segment, a plain Note and a Credit
    line only managers see; sally and mary (her team's manager) sign in."""
    app = crm_make_app(plugins=["customers"])
    with app_session(app) as session:
        kind = record_kinds(app)[KIND]
        service.create_field(session, kind, {
            "key": "segment", "type": "choice", "labels": {"en": "Segment"},
            "options": ["医疗器械", "汽车零部件"], "filterable": True})
        service.create_field(session, kind, {"key": "note", "type": "text",
                                             "labels": {"en": "Note"}})
        service.create_field(session, kind, {"key": "credit", "type": "text",
                                             "labels": {"en": "Credit line"},
                                             "view_roles": ["manager"]})
        team = create_department(session, "Team A").id
        sally = add_user(app, session, "sally", ["sales"], team)
        mary = add_user(app, session, "mary", ["manager"], team)
        for number in range(25):
            services.create_customer(
                session, name=f"C{number:02d}", owner_id=sally, department_id=team,
                industry="医疗行业",
                custom={"segment": "医疗器械", "note": f"备注{number:02d}",
                        "credit": f"额度{number:02d}"})
    return app, client_for(app, sally), client_for(app, mary)


def _page(client, url):
    answer = client.get(url, headers=EN)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
    return answer.get_data(as_text=True)


def headers(page):
    """The column headers of the customer table, in order (the select box left out)."""
    head = page.split('id="customer-table"', 1)[1].split("</thead>", 1)[0]
    cells = re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", head, re.S)
    texts = [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
    return [text for text in texts if text]


def ticked(page):
    """The names the Columns menu shows ticked."""
    menu = page.split('id="columns-menu"', 1)[1].split("</fieldset>", 1)[0]
    boxes = re.findall(r'type="checkbox" name="col" value="([^"]+)"([^>]*)>', menu)
    return {name for name, rest in boxes if "checked" in rest}


def offered(page):
    """The names the Columns menu offers (the name, always shown, is not one)."""
    menu = page.split('id="columns-menu"', 1)[1].split("</fieldset>", 1)[0]
    return re.findall(r'type="checkbox" name="col" value="([^"]+)"', menu)


def test_without_a_choice_the_list_shows_its_usual_columns(world):
    _app, sally, _mary = world
    page = _page(sally, "/customers/?sort=name&order=asc")
    assert headers(page) == [*BUILT_IN, "Segment"]
    assert "备注00" not in page  # the note is not filterable: no column by default
    assert "cols=" not in page  # nothing to carry
    assert 'class="d-md-none small text-muted"' in page  # the phone's line under the name


def test_choosing_columns_shows_just_those_and_a_plain_custom_fields_values(world):
    _app, sally, _mary = world
    page = _page(sally, "/customers/?sort=name&order=asc&col=industry&col=custom.note")
    assert headers(page) == ["Name", "Industry", "Note"]
    assert "备注00" in page and "医疗行业" in page
    assert "医疗器械" not in page.split("<tbody>", 1)[1]  # the Segment column is left out
    # a chosen column shows on a phone too (no "only from md on" class)
    assert not re.search(r'<th scope="col" class="d-none[^"]*">Industry', page)
    only_name = _page(sally, "/customers/?col=name")
    assert headers(only_name) == ["Name"]


def test_the_choice_stays_in_the_next_page_sort_filter_and_bulk_links(world):
    _app, sally, _mary = world
    page = _page(sally, "/customers/?sort=name&order=asc&col=amount&col=custom.note")
    chosen = "name,amount,custom.note"
    following = link(page, "next")
    assert parse_qs(urlsplit(following).query)["cols"] == [chosen]
    second = _page(sally, following)
    assert headers(second) == ["Name", "Amount", "Note"] and "备注20" in second
    table = page.split('id="customer-table"', 1)[1]  # the headers' and the pager's links
    sorts = [unescape(href) for href in re.findall(r'href="([^"]*sort=[^"]*)"', table)]
    assert sorts and all(parse_qs(urlsplit(href).query)["cols"] == [chosen]
                         for href in sorts)
    resorted = _page(sally, next(href for href in sorts if "sort=amount" in href))
    assert headers(resorted) == ["Name", "Amount", "Note"]
    assert f'name="cols" value="{chosen}"' in page  # the filter form and segment picker
    bulk_qs = re.search(r'name="filters_qs" value="([^"]*)"', page).group(1)
    assert parse_qs(unescape(bulk_qs))["cols"] == [chosen]
    filtered = _page(sally, f"/customers/?cols={chosen}&industry=医疗行业")
    assert headers(filtered) == ["Name", "Amount", "Note"]


def test_a_field_limited_to_roles_is_neither_offered_nor_shown_to_another_role(world):
    _app, sally, mary = world
    assert "custom.credit" not in offered(_page(sally, "/customers/"))
    asked = _page(sally, "/customers/?col=custom.credit&col=custom.note")
    assert headers(asked) == ["Name", "Note"] and "额度" not in asked
    alone = _page(sally, "/customers/?cols=custom.credit")  # only a hidden field: defaults
    assert headers(alone) == [*BUILT_IN, "Segment"] and "额度" not in alone
    assert "Credit line" not in alone
    managed = _page(mary, "/customers/?col=custom.credit")
    assert "custom.credit" in offered(managed)
    assert headers(managed) == ["Name", "Credit line"] and "额度24" in managed


def test_an_unknown_column_is_ignored(world):
    _app, sally, _mary = world
    assert headers(_page(sally, "/customers/?col=salary")) == [*BUILT_IN, "Segment"]
    assert headers(_page(sally, "/customers/?col=salary&col=owner")) == ["Name", "Owner"]
    assert headers(_page(sally, "/customers/?cols=,,custom.nope," + "x" * 5000)) == [
        *BUILT_IN, "Segment"]


def test_the_columns_menu_shows_the_current_choice_ticked(world):
    _app, sally, _mary = world
    usual = _page(sally, "/customers/")
    assert offered(usual)[:3] == ["code", "kind", "type"] and "custom.note" in offered(usual)
    assert {"code", "owner", "custom.segment"} <= ticked(usual)
    assert "custom.note" not in ticked(usual)
    chosen = _page(sally, "/customers/?col=owner&col=custom.note")
    assert ticked(chosen) == {"owner", "custom.note"}
    assert 'id="columns-toggle"' in chosen and 'data-bs-toggle="dropdown"' in chosen
    assert ">Default columns<" in chosen and ">Default columns<" not in usual


def test_a_chosen_custom_column_costs_no_statement(world):
    app, sally, _mary = world
    with app.app_context():
        engine = get_session().get_bind()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def count(url):
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            _page(sally, url)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    count("/customers/")  # warm the definitions' cache
    usual = count("/customers/")
    assert count("/customers/?col=custom.note&col=custom.segment") <= usual
    assert count("/customers/?col=industry&col=owner&col=tags&col=type") <= usual
