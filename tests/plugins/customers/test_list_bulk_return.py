"""After a bulk action the user is back on the page of the list they acted from (its
filters, sort and page), told what changed ("Added the tag VIP to 2 customers.")."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from customers_testing import add_user, app_session, client_for, csrf, link, listed

from plugins.customers import services


@pytest.fixture
def shop(customers_app):
    """An admin's 25 IT customers (C00..C24) and 5 in Retail, a sales rep, a tag and a
    type."""
    app = customers_app
    with app_session(app) as session:
        admin = add_user(app, session, "boss", ["admin"])
        mia = add_user(app, session, "mia", ["sales"])
        for number in range(30):
            services.create_customer(session, name=f"C{number:02d}", owner_id=admin,
                                     industry="IT" if number < 25 else "Retail")
        ids = {"admin": admin, "mia": mia, "tag": services.create_tag(session, "VIP", "#ffc107").id,
               "type": services.create_customer_type(session, "Key account").id}
    return app, ids


def row_ids(html):
    return [int(value) for value in re.findall(r'name="ids" value="(\d+)"', html)]


def hidden(html, name):
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    return unescape(match.group(1)) if match else None


def run_bulk(client, page, action, ids, **values):
    """Tick ``ids`` on ``page``, choose ``action``, confirm with ``values``; the redirect."""
    data = {"csrf_token": csrf(page), "action": action, "scope": "selected", "ids": ids,
            "filters_qs": hidden(page, "filters_qs"), "page_qs": hidden(page, "page_qs")}
    confirm = client.post("/customers/bulk", data=data).get_data(as_text=True)
    assert hidden(confirm, "page_qs") == data["page_qs"]  # carried through the confirmation
    data.update(csrf_token=csrf(confirm), step="run", ids=",".join(map(str, ids)), **values)
    return client.post("/customers/bulk", data=data)


@pytest.mark.parametrize(("action", "value", "message"), [
    ("add_tag", "tag", "Added the tag VIP to 2 customers."),
    ("change_type", "type", "Changed the type of 2 customers to Key account."),
    ("assign_owner", "mia", "Assigned 2 customers to mia."),
])
def test_a_bulk_action_brings_the_user_back_to_the_same_page_saying_what_changed(
        shop, action, value, message):
    app, ids = shop
    client = client_for(app, ids["admin"])
    first = client.get("/customers/?industry=IT&sort=name&order=asc").get_data(as_text=True)
    second_url = link(first, "next")
    second = client.get(second_url).get_data(as_text=True)
    assert listed(second) == [f"C{number:02d}" for number in range(20, 25)]

    param = {"add_tag": "tag_id", "change_type": "customer_type_id",
             "assign_owner": "owner_id"}[action]
    response = run_bulk(client, second, action, row_ids(second)[:2], **{param: ids[value]})
    assert response.status_code == 302
    back = urlsplit(response.headers["Location"])
    wanted = urlsplit(second_url)
    assert back.path == "/customers/"
    assert parse_qs(back.query) == parse_qs(wanted.query)  # filters, sort, cursor, page

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in unescape(page)
    assert listed(page) == listed(second)
    assert "Customers 21–25" in page


def test_moving_the_last_rows_of_a_page_to_the_trash_lands_on_the_first_page(shop):
    app, ids = shop
    client = client_for(app, ids["admin"])
    first = client.get("/customers/?industry=IT&sort=name&order=asc").get_data(as_text=True)
    second = client.get(link(first, "next")).get_data(as_text=True)
    response = run_bulk(client, second, "trash", row_ids(second))
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(
        as_text=True)
    assert "Moved 5 customers to the trash." in unescape(page)
    assert listed(page)[:2] == ["C00", "C01"]  # not an empty page
