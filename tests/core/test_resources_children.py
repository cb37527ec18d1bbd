"""Resources of records that belong to other records, and pages that send users to a
resource's form and back: a model scoped through its parent (``ScopeThrough``), a relation
chosen by search among the targets the user may see, a JSON list of texts, a new record's
form preset from the query string, and a safe ``next`` after every write.

The example plugin's notes and the customers plugin's contacts (scoped through their
customer) are the resources under test.
"""

from __future__ import annotations

import re

import pytest
from resources_world import build, csrf
from sqlalchemy import select

from crm_core.db import get_session
from crm_core.rbac.scope import data_scope_of, scoped, scoped_kinds
from crm_core.resources.relations import split_list

PLUGINS = ["example", "customers"]


@pytest.fixture(params=["sqlite", "postgresql"])
def crm_app(request, crm_make_app):
    """The example and customers plugins on SQLite and (with CRM_TEST_DATABASE_URL)
    PostgreSQL."""
    return crm_make_app(plugins=PLUGINS, database=request.param)


@pytest.fixture
def world(crm_app):
    world = build(crm_app)
    from plugins.customers import services

    with crm_app.test_request_context():
        session = get_session()
        ids = {}
        for owner, name in (("sally", "East Co"), ("wes", "West Co"), ("sally", "Binned Co")):
            customer = services.create_customer(session, name=name,
                                                owner_id=world.users[owner].id)
            contact = services.add_contact(session, customer.id, f"{name} person",
                                           phones=["13812345678"])
            ids[name] = (customer.id, contact.id)
        services.delete_customer(session, ids["Binned Co"][0])
        session.commit()
    world.ids = ids
    return world


def test_a_child_is_in_scope_exactly_when_its_parent_is(world):
    from plugins.customers.models import Contact, Customer

    with world.app.test_request_context():
        session = get_session()

        def seen(name):
            found = scoped(select(Contact.name), Contact, world.users[name].id)
            return sorted(session.scalars(found))

        assert seen("sally") == ["East Co person"]  # own customer's; not the binned one's
        assert seen("wes") == ["West Co person"]
        assert seen("vic") == ["East Co person"]  # a viewer: her department's
        assert seen("root") == ["East Co person", "West Co person"]  # all, but not binned
        # not a kind of its own: roles are granted the parent's kind
        assert data_scope_of(Contact) is None
        assert scoped_kinds([Customer, Contact]) == ["customers.customer"]


def test_every_route_of_a_child_resource_answers_404_outside_the_parents_scope(world):
    client = world.client("sally")
    token = world.token(client)
    for customer in ("West Co", "Binned Co"):
        contact_id = world.ids[customer][1]
        one = f"/customers/contacts/{contact_id}"
        for url in (one, f"{one}/edit", f"{one}/delete", f"/api/v1/customers/contacts/"
                    f"{contact_id}"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"{one}/delete", data={"csrf_token": token}).status_code == 404
        assert client.patch(f"/api/v1/customers/contacts/{contact_id}", json={"name": "x"},
                            headers={"X-CSRFToken": token}).status_code == 404
    listed = client.get("/api/v1/customers/contacts").get_json()["items"]
    assert [item["name"] for item in listed] == ["East Co person"]
    # a JSON list stays a list (masked for a sales rep: tests/core/test_sensitive_resources.py)
    assert listed[0]["phones"] == ["138****5678"]


def test_a_relation_is_offered_and_accepted_only_within_the_users_scope(world):
    client = world.client("sally")
    form = client.get("/customers/contacts/new").get_data(as_text=True)
    options = form.split('id="customer_id"', 1)[1].split("</select>", 1)[0]
    assert "East Co" in options and "West Co" not in options and "Binned" not in options
    assert 'name="customer_id-search"' not in form  # few enough: a plain select
    found = client.get("/customers/contacts/choices?field=customer_id&q=co").get_data(
        as_text=True)
    assert "East Co" in found and "West" not in found and "Binned" not in found
    assert "Nothing found" in client.get(
        "/customers/contacts/choices?field=customer_id&q=zzz").get_data(as_text=True)
    refused = client.post("/customers/contacts", data={
        "csrf_token": csrf(form), "customer_id": str(world.ids["West Co"][0]), "name": "Spy"})
    assert refused.status_code == 400 and "Not a valid choice." in refused.get_data(
        as_text=True)


def test_a_json_list_is_one_text_in_the_form_and_a_list_in_the_api(world):
    assert split_list("138 1234 5678, 010-1234；021-5555\n0755-1、 ,") == [
        "138 1234 5678", "010-1234", "021-5555", "0755-1"]
    client = world.client("sally")
    contact_id = world.ids["East Co"][1]
    form = client.get(f"/customers/contacts/{contact_id}/edit").get_data(as_text=True)
    assert 'value="138****5678"' in form  # masked for a sales rep (号码脱敏)
    saved = client.post(f"/customers/contacts/{contact_id}/edit", data={
        "csrf_token": csrf(form), "customer_id": str(world.ids["East Co"][0]),
        "name": "East Co person", "phones": "13812345678, 010-87654321"})
    assert saved.status_code == 302
    page = client.get(f"/customers/contacts/{contact_id}").get_data(as_text=True)
    # both kept, the masked one as stored (each masked, with its reveal button)
    assert "138****5678" in page and "010****4321" in page
    too_many = client.post(f"/customers/contacts/{contact_id}/edit", data={
        "csrf_token": csrf(form), "customer_id": str(world.ids["East Co"][0]),
        "name": "x", "phones": ",".join(["1"] * 101)})
    assert too_many.status_code == 400 and "At most 100 values." in too_many.get_data(
        as_text=True)


def test_a_new_records_form_is_preset_from_the_query_string(world):
    client = world.client("sally")
    form = client.get("/example/notes/new?title=From+a+link&status=done&priority=many"
                      "&body=<b>x</b>").get_data(as_text=True)
    assert 'value="From a link"' in form
    assert re.search(r'<option selected value="done">', form)
    assert 'name="priority" type="number" value=""' in form or \
        re.search(r'name="priority"[^>]*value=""', form)  # a refused value is left out
    assert "<b>x</b>" not in form and "&lt;b&gt;x&lt;/b&gt;" in form  # escaped


def test_next_brings_the_user_back_after_each_write_but_only_within_the_site(world):
    client = world.client("sally")
    form = client.get("/example/notes/new?next=/example/notes%3Fq%3DPlan").get_data(
        as_text=True)
    assert '<input type="hidden" name="next" value="/example/notes?q=Plan">' in form
    assert 'href="/example/notes?q=Plan">' in form  # Cancel goes back too
    token = csrf(form)
    added = client.post("/example/notes", data={"csrf_token": token, "title": "Plan",
                                                 "next": "/example/notes?q=Plan"})
    assert added.headers["Location"] == "/example/notes?q=Plan"
    from crm_plugin_example.models import Note

    with world.app.app_context():
        note_id = get_session().scalar(select(Note.id).where(Note.title == "Plan"))
    one = f"/example/notes/{note_id}"
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        saved = client.post(f"{one}/edit", data={"csrf_token": token, "title": "Plan",
                                                  "next": target})
        assert saved.headers["Location"] == one, target  # ignored: the record's page
    confirm = client.get(f"{one}/delete?next=/").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/">' in confirm
    deleted = client.post(f"{one}/delete?next=/", data={"csrf_token": token})
    assert deleted.headers["Location"] == "/"


def test_a_required_relation_starts_unchosen_and_must_be_chosen(world):
    client = world.client("sally")
    form = client.get("/customers/contacts/new", headers={"Accept-Language": "en"}
                      ).get_data(as_text=True)
    options = form.split('id="customer_id"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option selected value="">—</option>', options)  # nothing chosen
    refused = client.post("/customers/contacts", data={
        "csrf_token": csrf(form), "customer_id": "", "name": "Nobody's"},
        headers={"Accept-Language": "en"})
    assert refused.status_code == 400 and "This field is required." in refused.get_data(
        as_text=True)
