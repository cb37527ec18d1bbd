"""The customers REST API as a client with a token uses it: lists with filters, search and
cursors, create/patch/delete with field errors, contacts, records, types, tags, the data
scope (404 outside it), no N+1 queries, and a valid OpenAPI document."""

from __future__ import annotations

import pytest
from customers_testing import add_user
from sqlalchemy import event

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from plugins.customers import services


def bearer(session, user_id):
    _row, plain = create_token(session, session.get(User, user_id), "test")
    session.commit()
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def world(customers_app):
    """Root, a sales rep in each of two departments, their tokens, and a few customers.

    Built in a context of its own: requests made inside another request context would share
    its cached (anonymous) user.
    """
    with customers_app.test_request_context():
        return build_world(customers_app, get_session())


def build_world(customers_app, session):
    team_a = create_department(session, "Team A").id
    team_b = create_department(session, "Team B").id
    session.commit()
    ids = {"root": add_user(customers_app, session, "root", [], superuser=True),
           "sally": add_user(customers_app, session, "sally", ["sales"], team_a),
           "bob": add_user(customers_app, session, "bob", ["sales"], team_b)}
    vip = services.create_tag(session, "VIP", "#dc3545")
    for number in range(5):
        customer = services.create_customer(
            session, name=f"Sally 客户 {number}", industry="软件" if number % 2 else "制造",
            province="北京", city="北京", owner_id=ids["sally"], department_id=team_a,
            phones=[f"1381234567{number}"])
        if number == 0:
            services.add_tag(session, customer.id, vip.id)
    bobs = services.create_customer(session, name="Bob 上海", owner_id=ids["bob"],
                                    department_id=team_b)
    session.commit()
    tokens = {name: bearer(session, user_id) for name, user_id in ids.items()}
    return {"ids": ids, "tokens": tokens, "bobs": bobs.id, "vip": vip.id}


def test_list_filters_and_walks_every_page_by_cursor(customers_app, world):
    client = customers_app.test_client()
    sally = world["tokens"]["sally"]
    seen, cursor = [], None
    while True:
        url = "/api/v1/customers?limit=2&sort=name" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=sally).get_json()
        seen += [item["name"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Sally 客户 {number}" for number in range(5)]
    software = client.get("/api/v1/customers?industry=软件", headers=sally).get_json()["items"]
    assert sorted(item["name"] for item in software) == ["Sally 客户 1", "Sally 客户 3"]
    tagged = client.get(f"/api/v1/customers?tag_id={world['vip']}", headers=sally).get_json()
    (item,) = tagged["items"]
    assert item["tags"] == [{"id": world["vip"], "name": "VIP", "colour": "#dc3545"}]
    assert item["owner"] == {"id": world["ids"]["sally"], "name": "sally"}
    assert item["region"] == {"province": "北京", "city": "北京", "country": "CN"}
    # a sales rep sees phones masked (号码脱敏: test_masking.py)
    assert item["phones"] == ["138****5670"] and item["total_amount"] == "0.00"
    assert item["code"].startswith("C")
    bad = client.get("/api/v1/customers?sort=colour&limit=0", headers=sally)
    assert bad.status_code == 422 and {"sort", "limit"} <= set(bad.get_json()["errors"])


def test_a_sales_rep_gets_404_for_another_departments_customer(customers_app, world):
    client = customers_app.test_client()
    sally, bobs = world["tokens"]["sally"], world["bobs"]
    names = [item["name"] for item in
             client.get("/api/v1/customers", headers=sally).get_json()["items"]]
    assert "Bob 上海" not in names and len(names) == 5
    assert client.get(f"/api/v1/customers/{bobs}", headers=sally).status_code == 404
    assert client.patch(f"/api/v1/customers/{bobs}", json={"name": "Mine"},
                        headers=sally).status_code == 404
    assert client.get(f"/api/v1/customers/{bobs}/contacts", headers=sally).status_code == 404
    assert client.post(f"/api/v1/customers/{bobs}/contact-records", json={"kind": "call"},
                       headers=sally).status_code == 404
    assert client.get(f"/api/v1/customers/{bobs}",
                      headers=world["tokens"]["bob"]).get_json()["name"] == "Bob 上海"
    assert client.delete(f"/api/v1/customers/{bobs}", headers=sally).status_code == 403


def test_create_with_a_bad_phone_answers_422_naming_the_field(customers_app, world):
    client = customers_app.test_client()
    response = client.post("/api/v1/customers", json={"name": "New Co", "phones": ["12345"]},
                           headers=world["tokens"]["sally"])
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["phones"]
    missing = client.post("/api/v1/customers", json={"phones": []},
                          headers=world["tokens"]["sally"])
    assert missing.status_code == 422 and "name" in missing.get_json()["errors"]


def test_create_patch_delete_and_the_trash(customers_app, world):
    client = customers_app.test_client()
    sally, root = world["tokens"]["sally"], world["tokens"]["root"]
    created = client.post("/api/v1/customers", json={
        "name": "杭州新客户有限公司", "phones": ["0571-87654321"], "emails": ["A@B.cn"],
        "kind": "company"}, headers=sally)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert item["owner"]["id"] == world["ids"]["sally"]
    assert item["phones"] == ["057****4321"] and item["emails"] == ["a***@b.cn"]  # masked
    url = f"/api/v1/customers/{item['id']}"
    patched = client.patch(url, json={"industry": "贸易", "uscc": "bad"}, headers=sally)
    assert patched.status_code == 422 and "uscc" in patched.get_json()["errors"]
    patched = client.patch(url, json={"industry": "贸易"}, headers=sally)
    assert patched.status_code == 200 and patched.get_json()["industry"] == "贸易"
    assert client.delete(url, headers=root).status_code == 204
    assert client.get(url, headers=sally).status_code == 404
    trash = client.get("/api/v1/customers?trash=true", headers=root).get_json()["items"]
    assert [entry["name"] for entry in trash] == ["杭州新客户有限公司"]
    assert trash[0]["in_trash"] is True
    assert client.get("/api/v1/customers?trash=true", headers=sally).status_code == 403


def test_contacts_and_contact_records(customers_app, world):
    client = customers_app.test_client()
    sally = world["tokens"]["sally"]
    customer_id = client.get("/api/v1/customers?limit=1",
                             headers=sally).get_json()["items"][0]["id"]
    base = f"/api/v1/customers/{customer_id}"
    contact = client.post(f"{base}/contacts", json={
        "name": "王经理", "phones": ["13900001111"], "is_primary": True}, headers=sally)
    assert contact.status_code == 201, contact.get_json()
    assert contact.get_json()["phones"] == ["139****1111"]  # masked for a sales rep
    bad = client.post(f"{base}/contacts", json={"name": "李", "email": "not-mail"},
                      headers=sally)
    assert bad.status_code == 422 and "email" in bad.get_json()["errors"]
    assert [c["name"] for c in client.get(f"{base}/contacts", headers=sally)
            .get_json()["items"]] == ["王经理"]
    for when in ("2026-11-01T09:00:00+08:00", "2026-11-20T09:00:00Z"):
        made = client.post(f"{base}/contact-records", json={
            "kind": "call", "content": f"called {when}", "occurred_at": when,
            "contact_id": contact.get_json()["id"]}, headers=sally)
        assert made.status_code == 201, made.get_json()
        assert made.get_json()["user_id"] == world["ids"]["sally"]
    records = client.get(f"{base}/contact-records", headers=sally).get_json()["items"]
    assert [record["content"] for record in records] == [
        "called 2026-11-20T09:00:00Z", "called 2026-11-01T09:00:00+08:00"]
    assert client.get(base, headers=sally).get_json()["last_contact_at"].startswith(
        "2026-11-20T09:00:00")
    wrong = client.post(f"{base}/contact-records", json={"kind": "fax"}, headers=sally)
    assert wrong.status_code == 422 and "kind" in wrong.get_json()["errors"]


def test_types_and_tags_list_for_viewers_and_create_for_managers(customers_app, world):
    client = customers_app.test_client()
    sally, root = world["tokens"]["sally"], world["tokens"]["root"]
    made = client.post("/api/v1/customer-types", json={"name": "Distributor"}, headers=root)
    assert made.status_code == 201 and made.get_json()["name"] == "Distributor"
    assert client.post("/api/v1/customer-types", json={"name": "Distributor"},
                       headers=root).get_json()["errors"] == {
        "name": ["The customer type Distributor already exists."]}
    assert client.post("/api/v1/customer-types", json={"name": "X"},
                       headers=sally).status_code == 403
    types = client.get("/api/v1/customer-types", headers=sally).get_json()["items"]
    assert [kind["name"] for kind in types] == ["Distributor"]
    tag = client.post("/api/v1/tags", json={"name": "潜在", "colour": "#0D6EFD"}, headers=root)
    assert tag.status_code == 201 and tag.get_json()["colour"] == "#0d6efd"
    bad = client.post("/api/v1/tags", json={"name": "Red", "colour": "red"}, headers=root)
    assert bad.status_code == 422 and "colour" in bad.get_json()["errors"]
    assert client.post("/api/v1/tags", json={"name": "Y"}, headers=sally).status_code == 403
    names = [t["name"] for t in client.get("/api/v1/tags", headers=sally).get_json()["items"]]
    assert names == ["VIP", "潜在"]


def test_list_page_costs_the_same_queries_for_3_or_30_customers(customers_app, world):
    client = customers_app.test_client()
    root = world["tokens"]["root"]
    engine = customers_app.extensions["crm_db"].engine
    statements: list[str] = []

    def count(*_args):
        statements.append("")

    def queries_for(limit: int) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            body = client.get(f"/api/v1/customers?limit={limit}", headers=root).get_json()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(body["items"]) == limit
        return len(statements)

    with customers_app.test_request_context():
        session = get_session()
        kind = services.create_customer_type(session, "Key account")
        for number in range(30):
            customer = services.create_customer(
                session, name=f"Many {number}", owner_id=world["ids"]["bob"],
                customer_type_id=kind.id, phones=[f"1390000{number:04d}"])
            services.add_tag(session, customer.id, world["vip"])
        session.commit()
    queries_for(1)  # the first call of a token also notes its last use
    assert queries_for(3) == queries_for(30)


def test_q_searches_within_the_callers_scope(customers_app, world):
    from plugins.customers.search import services as search

    if not hasattr(search, "search_customers"):
        pytest.skip("the search part (search.search_customers) is not written yet")
    client = customers_app.test_client()
    found = client.get("/api/v1/customers?q=客户", headers=world["tokens"]["sally"]).get_json()
    assert len(found["items"]) == 5 and found["next_cursor"] is None
    assert client.get("/api/v1/customers?q=上海",
                      headers=world["tokens"]["sally"]).get_json()["items"] == []
    by_phone = client.get("/api/v1/customers?q=12345673",
                          headers=world["tokens"]["sally"]).get_json()["items"]
    assert [item["name"] for item in by_phone] == ["Sally 客户 3"]


def test_openapi_document_is_valid_and_lists_the_customer_routes(customers_app, world):
    from openapi_spec_validator import validate

    client = customers_app.test_client()
    document = client.get("/api/v1/openapi.json", headers=world["tokens"]["root"]).get_json()
    validate(document)
    paths = document["paths"]
    assert set(paths["/api/v1/customers"]) == {"get", "post"}
    assert set(paths["/api/v1/customers/{customer_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/customers/{customer_id}/contacts"]) == {"get", "post"}
    assert set(paths["/api/v1/customers/{customer_id}/contact-records"]) == {"get", "post"}
    assert set(paths["/api/v1/customer-types"]) == {"get", "post"}
    assert set(paths["/api/v1/tags"]) == {"get", "post"}
    assert "CustomerOut" in document["components"]["schemas"]
    parameters = {p["name"] for p in paths["/api/v1/customers"]["get"]["parameters"]}
    assert {"q", "sort", "industry", "tag_id", "cursor", "limit"} <= parameters


def test_list_and_create_on_postgresql(crm_make_app, postgres_url):
    app = crm_make_app(plugins=["customers"], database="postgresql")
    with app.test_request_context():
        session = get_session()
        root = add_user(app, session, "root", [], superuser=True)
        token = bearer(session, root)
    client = app.test_client()
    for number in range(3):
        made = client.post("/api/v1/customers", json={
            "name": f"上海客户 {number}", "phones": [f"021-6123456{number}"]}, headers=token)
        assert made.status_code == 201, made.get_json()
    bad = client.post("/api/v1/customers", json={"name": "x", "emails": ["nope"]},
                      headers=token)
    assert bad.status_code == 422 and "emails" in bad.get_json()["errors"]
    first = client.get("/api/v1/customers?limit=2&sort=-name", headers=token).get_json()
    rest = client.get(f"/api/v1/customers?limit=2&sort=-name&cursor={first['next_cursor']}",
                      headers=token).get_json()
    assert [item["name"] for item in first["items"] + rest["items"]] == [
        "上海客户 2", "上海客户 1", "上海客户 0"]
    assert rest["next_cursor"] is None
    assert first["items"][0]["phones"] == ["+862161234562"]
