"""The contacts resource (``/customers/contacts`` and ``/api/v1/customers/contacts``): every
contact the user may see, searched by name, phone or email, filtered by customer and sorted
by name; written through the contact services; a contact of a customer outside the user's
scope (or in the trash) answers 404 on every page and API route."""

from __future__ import annotations

import re
from html import unescape

import pytest
from customers_testing import add_user, client_for, csrf
from sqlalchemy import select

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from plugins.customers import services
from plugins.customers.models import Contact, Customer
from plugins.customers.search import services as search

EN = {"Accept-Language": "en"}


def bearer(session, user_id):
    _row, plain = create_token(session, session.get(User, user_id), "test")
    session.commit()
    return {"Authorization": f"Bearer {plain}", **EN}


@pytest.fixture(params=["sqlite", "postgresql"])
def customers_app(request, crm_make_app):
    """The customers plugin alone, on SQLite and (with CRM_TEST_DATABASE_URL) PostgreSQL:
    the search reads a JSON column as text, which each database spells its own way."""
    return crm_make_app(plugins=["customers"], database=request.param)


@pytest.fixture
def world(customers_app):
    """Sally (sales, East) with 华宇 and its two contacts and a customer in the trash; Bob
    (sales, West) with West 贸易 and its contact; root."""
    with customers_app.test_request_context():
        session = get_session()
        east = create_department(session, "East").id
        west = create_department(session, "West").id
        session.commit()
        ids = {"root": add_user(customers_app, session, "root", superuser=True),
               "sally": add_user(customers_app, session, "sally", ["sales"], east),
               "bob": add_user(customers_app, session, "bob", ["sales"], west)}
        huayu = services.create_customer(session, name="华宇科技", owner_id=ids["sally"])
        wang = services.add_contact(session, huayu.id, "王经理", phones=["13812345678"],
                                    email="wang@huayu.cn", is_primary=True)
        services.add_contact(session, huayu.id, "Ada Li", title="CTO")
        gone = services.create_customer(session, name="Gone Ltd", owner_id=ids["sally"])
        ghost = services.add_contact(session, gone.id, "Ghost Person")
        services.delete_customer(session, gone.id)
        trade = services.create_customer(session, name="West 贸易", owner_id=ids["bob"])
        theirs = services.add_contact(session, trade.id, "Bob Contact", email="b@west.cn")
        session.commit()
        tokens = {name: bearer(session, user_id) for name, user_id in ids.items()}
        return {"ids": ids, "tokens": tokens, "huayu": huayu.id, "trade": trade.id,
                "wang": wang.id, "theirs": theirs.id, "ghost": ghost.id}


def names_listed(html):
    body = html.split("<tbody", 1)[1].split("</tbody>", 1)[0] if "<tbody" in html else ""
    return [name for name in ("王经理", "Ada Li", "Ghost Person", "Bob Contact")
            if name in unescape(body)]


def test_the_list_shows_the_contacts_in_scope_searched_filtered_and_sorted(customers_app,
                                                                          world):
    sally = client_for(customers_app, world["ids"]["sally"])
    page = sally.get("/customers/contacts", headers=EN).get_data(as_text=True)
    assert names_listed(page) == ["王经理", "Ada Li"]  # not Bob's, not the trashed one's
    body = unescape(page.split("<tbody", 1)[1])
    # the customer's name, the phones (masked for a sales rep: test_masking.py)
    assert "华宇科技" in body and "138****5678" in body
    assert body.index("Ada Li") < body.index("王经理")  # sorted by name
    for query in ("1381234", "WANG@", "王"):
        found = sally.get(f"/customers/contacts?q={query}").get_data(as_text=True)
        assert names_listed(found) == ["王经理"], query
    assert names_listed(sally.get("/customers/contacts?q=Bob").get_data(as_text=True)) == []
    detail = sally.get(f"/customers/contacts/{world['wang']}", headers=EN).get_data(
        as_text=True)
    assert f'href="/customers/{world["huayu"]}#contacts"' in detail  # back to the customer
    assert "Open the customer&#39;s page" in detail or "Open the customer's page" in detail
    only = sally.get(f"/customers/contacts?customer_id={world['huayu']}").get_data(
        as_text=True)
    assert names_listed(only) == ["王经理", "Ada Li"]
    assert names_listed(sally.get(f"/customers/contacts?customer_id={world['trade']}")
                        .get_data(as_text=True)) == []
    # the customer filter offers only customers she may see
    assert "West 贸易" not in page and "Gone Ltd" not in page
    root = client_for(customers_app, world["ids"]["root"])
    assert names_listed(root.get("/customers/contacts").get_data(as_text=True)) == [
        "王经理", "Ada Li", "Bob Contact"]  # the trashed customer's contact left with it


def test_another_departments_contact_answers_404_on_every_route(customers_app, world):
    sally = client_for(customers_app, world["ids"]["sally"])
    token = csrf(sally.get("/customers/contacts/new").get_data(as_text=True))
    for contact_id in (world["theirs"], world["ghost"]):
        one = f"/customers/contacts/{contact_id}"
        for url in (one, f"{one}/edit", f"{one}/delete"):
            assert sally.get(url).status_code == 404, url
        assert sally.post(f"{one}/edit", data={"csrf_token": token, "name": "x",
                                               "customer_id": str(world["huayu"])}
                          ).status_code == 404
        assert sally.post(f"{one}/delete", data={"csrf_token": token}).status_code == 404
        api = f"/api/v1/customers/contacts/{contact_id}"
        headers = world["tokens"]["sally"]
        assert customers_app.test_client().get(api, headers=headers).status_code == 404
        assert customers_app.test_client().patch(api, json={"name": "x"}, headers=headers
                                                 ).status_code == 404
        assert customers_app.test_client().delete(api, headers=headers).status_code == 404
    listed = customers_app.test_client().get("/api/v1/customers/contacts",
                                             headers=world["tokens"]["sally"]).get_json()
    assert {item["name"] for item in listed["items"]} == {"王经理", "Ada Li"}
    # nor can she add a contact to Bob's customer: the same answer as for none at all
    for customer_id in (world["trade"], 999_999):
        refused = customers_app.test_client().post(
            "/api/v1/customers/contacts", json={"customer_id": customer_id, "name": "Spy"},
            headers=world["tokens"]["sally"])
        assert refused.status_code == 422 and "customer_id" in refused.get_json()["errors"]
        form = sally.post("/customers/contacts", data={
            "csrf_token": token, "customer_id": str(customer_id), "name": "Spy"})
        assert form.status_code == 400
    with customers_app.app_context():
        assert get_session().scalar(select(Contact).where(Contact.name == "Spy")) is None
        names = [contact.name for contact in get_session().scalars(
            select(Contact).where(Contact.customer_id == world["trade"]))]
    assert names == ["Bob Contact"]  # untouched


def test_the_api_writes_through_the_contact_services(customers_app, world):
    client, headers = customers_app.test_client(), world["tokens"]["sally"]
    base = "/api/v1/customers/contacts"
    made = client.post(base, json={"customer_id": world["huayu"], "name": " 赵  六 ",
                                   "phones": ["010-87654321"], "email": "ZHAO@huayu.cn",
                                   "is_primary": True}, headers=headers)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["name"], body["phones"], body["email"]) == ("赵 六", ["010****4321"],
                                                            "z***@huayu.cn")  # masked
    bad = client.post(base, json={"customer_id": world["huayu"], "name": "李",
                                  "phones": ["12345"]}, headers=headers)
    assert bad.status_code == 422 and "phones" in bad.get_json()["errors"]
    one = f"{base}/{body['id']}"
    assert client.patch(one, json={"name": "钱小八"}, headers=headers).status_code == 200
    moved = client.patch(one, json={"customer_id": world["trade"]}, headers=headers)
    assert moved.status_code == 422 and "customer_id" in moved.get_json()["errors"]
    with customers_app.test_request_context():
        session = get_session()
        root = session.get(User, world["ids"]["root"])
        # one primary per customer; the customer's search document follows the contacts
        assert session.scalars(select(Contact.name).where(
            Contact.customer_id == world["huayu"], Contact.is_primary.is_(True))).all() == [
            "钱小八"]
        assert [c.id for c in search.search_customers(session, "钱小八", user=root)] == [
            world["huayu"]]
    assert client.delete(one, headers=headers).status_code == 204
    assert client.get(one, headers=headers).status_code == 404
    with customers_app.test_request_context():
        session = get_session()
        root = session.get(User, world["ids"]["root"])
        assert search.search_customers(session, "钱小八", user=root) == []
    paths = client.get("/api/v1/openapi.json", headers=headers).get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/customers/contacts"])


def test_the_customer_is_chosen_by_search_not_from_every_row(customers_app, world):
    with customers_app.test_request_context():
        session = get_session()
        for number in range(60):
            services.create_customer(session, name=f"Batch {number:02d}",
                                     owner_id=world["ids"]["sally"])
        session.commit()
    sally = client_for(customers_app, world["ids"]["sally"])
    form = sally.get(f"/customers/contacts/new?customer_id={world['huayu']}&name=Preset",
                     headers=EN).get_data(as_text=True)
    select_html = form.split('id="customer_id"', 1)[1].split("</select>", 1)[0]
    assert 'name="customer_id-search"' in form  # a search box above the select
    assert select_html.count("<option") <= 52  # bounded, never every customer
    assert re.search(rf'<option selected value="{world["huayu"]}">华宇科技</option>',
                     select_html)  # the preset customer is chosen
    assert 'value="Preset"' in form
    found = sally.get("/customers/contacts/choices?field=customer_id&q=Batch 5").get_data(
        as_text=True)
    assert found.count("<option") == 10 and "Batch 59" in found
    assert "West" not in sally.get("/customers/contacts/choices?field=customer_id&q=West"
                                   ).get_data(as_text=True)
    assert "Gone" not in sally.get("/customers/contacts/choices?field=customer_id&q=Gone"
                                   ).get_data(as_text=True)
    assert sally.get("/customers/contacts/choices?field=name").status_code == 404
    # a "next" elsewhere than this site is ignored
    token = csrf(form)
    added = sally.post("/customers/contacts", data={
        "csrf_token": token, "customer_id": str(world["huayu"]), "name": "Out",
        "next": "https://evil.example/"})
    assert added.status_code == 302
    assert added.headers["Location"].startswith("/customers/contacts/")
    with customers_app.app_context():
        assert get_session().scalar(select(Customer.id).join(
            Contact, Contact.customer_id == Customer.id).where(Contact.name == "Out")) == \
            world["huayu"]
