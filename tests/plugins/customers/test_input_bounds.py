"""What a user can type into the customers plugin is bounded (issue 8, items 9, 16, 17, 18):
ids and amounts out of the database's range are refused naming the field (list page, API,
bulk, segments) instead of a 500; a segment never stores a failing filter and one stored
before does not break the list; a bulk action on "every match" refuses a bad filter instead
of dropping it; notes, texts, phones and emails have caps; a website is http(s) only and an
old ``javascript:`` value is never a link. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from customers_testing import add_user, app_session, client_for, csrf, listed
from sqlalchemy import select

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.rbac.departments import create_department
from plugins.customers import services
from plugins.customers.models import Customer, CustomerTag, Segment
from plugins.customers.segments import services as segments
from plugins.customers.validation import FieldError

HUGE_ID = 2**31  # one past PostgreSQL's integer
BAD_AMOUNTS = ("1e30", "-1", str(2**63), "NaN", "12.345")


@pytest.fixture(params=["sqlite", "postgresql"])
def shop(request, crm_make_app):
    """One team: a manager (every customers permission) and a sales rep, both with tokens,
    and three customers of the rep."""
    app = crm_make_app(plugins=["customers"], database=request.param)
    with app_session(app) as session:
        team = create_department(session, "Team").id
        ids = {"mona": add_user(app, session, "mona", ["manager"], team),
               "sam": add_user(app, session, "sam", ["sales"], team)}
        customers = [services.create_customer(session, name=name, industry="IT",
                                              owner_id=ids["sam"]).id
                     for name in ("Alpha", "Bravo", "Charlie")]
        services.adjust_total_amount(session, customers[0], "500")
        tokens = {}
        for name, user_id in ids.items():
            _row, plain = create_token(session, session.get(User, user_id), "t")
            tokens[name] = {"Authorization": f"Bearer {plain}"}
    return {"app": app, "ids": ids, "tokens": tokens, "customers": customers}


# ---------------------------------------------------------------------------- item 9: ints


@pytest.mark.parametrize("query", [
    f"owner_id={HUGE_ID}", "tag_id=-1", f"customer_type_id={2**63}",
    *(f"amount_min={amount}" for amount in BAD_AMOUNTS), f"amount_max={2**63}",
])
def test_the_api_list_refuses_out_of_range_filters_naming_them(shop, query):
    response = shop["app"].test_client().get(f"/api/v1/customers?{query}",
                                             headers=shop["tokens"]["sam"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert list(response.get_json()["errors"]) == [query.split("=")[0]]


def test_ids_out_of_range_in_paths_answer_404(shop):
    app = shop["app"]
    manager = client_for(app, shop["ids"]["mona"])
    api = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("customers", "customers_api") \
                or not rule.arguments:
            continue
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", str(HUGE_ID), rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if rule.endpoint.startswith("customers_api."):
                response = api.open(url, method=method, json={},
                                    headers=shop["tokens"]["mona"])
            else:
                response = manager.open(url, method=method)
            # 404 for every method (a 405 would say the address exists for another one).
            assert response.status_code in (400, 404), (method, url, response.status_code)
            checked += 1
    assert checked > 20


def test_api_writes_refuse_out_of_range_ids_naming_the_field(shop):
    client, sam = shop["app"].test_client(), shop["tokens"]["sam"]
    for body, field in (({"name": "X", "customer_type_id": 2**63}, "customer_type_id"),
                        ({"name": "X", "owner_id": -1}, "owner_id")):
        response = client.post("/api/v1/customers", json=body, headers=sam)
        assert response.status_code == 422 and list(response.get_json()["errors"]) == [field]
    record = client.post(f"/api/v1/customers/{shop['customers'][0]}/contact-records",
                         json={"kind": "call", "contact_id": HUGE_ID}, headers=sam)
    assert record.status_code == 422 and "contact_id" in record.get_json()["errors"]


def test_the_list_page_refuses_bad_filters_with_400_naming_the_field(shop):
    client = client_for(shop["app"], shop["ids"]["sam"])
    for query in ("amount_min=1e30", "amount_min=-1", f"amount_max={2**63}",
                  f"owner_id={HUGE_ID}", "created_to=10000-01-01",
                  "amount_min=NaN&amount_max=NaN", "amount_min=1&amount_max=NaN"):
        response = client.get(f"/customers/?{query}")
        assert response.status_code == 400, query
        assert "is-invalid" in response.get_data(as_text=True)
    # The last day there is is a valid (if odd) bound, not an overflow.
    assert sorted(listed(client.get("/customers/?created_to=9999-12-31")
                         .get_data(as_text=True))) == ["Alpha", "Bravo", "Charlie"]
    assert client.get(f"/customers/?segment={2**40}").status_code == 404
    assert client.get("/customers/?segment=²").status_code == 404
    assert client.get(f"/customers/duplicates/check?name=Alpha&exclude_id={2**40}"
                      ).status_code == 200
    manager = client_for(shop["app"], shop["ids"]["mona"])
    first = shop["customers"][0]
    assert manager.get(f"/customers/merge?ids={first}&ids={2**40}&ids=²").status_code == 400
    page = manager.get("/customers/").get_data(as_text=True)
    confirm = manager.post("/customers/bulk", data={
        "csrf_token": csrf(page), "action": "trash", "scope": "selected",
        "ids": [str(first), str(2**40), "²", "-3"]})
    assert confirm.status_code == 200 and "1 customer will be" in confirm.get_data(as_text=True)


def test_services_refuse_out_of_range_values(shop):
    with app_session(shop["app"]) as session:
        for filters in ({"owner_id": HUGE_ID}, {"amount_min": "1e30"}, {"amount_max": "-1"}):
            with pytest.raises(FieldError) as refused:
                services.list_customers(session, filters=filters)
            assert refused.value.field == next(iter(filters))
        with pytest.raises(FieldError):
            services.adjust_total_amount(session, shop["customers"][0], str(2**62))
        with pytest.raises(services.CustomerNotFound):
            services.get_customer(session, HUGE_ID)
        with pytest.raises(FieldError):
            services.add_tag(session, shop["customers"][0], HUGE_ID)
        # A pasted page as a search: read as its first 200 characters, not 20,000 conditions.
        found = services.search_customers(session, "Alpha " + "x y " * 20_000,
                                          user=shop["ids"]["sam"])
        assert [customer.name for customer in found] == ["Alpha"]


# ---------------------------------------------------------------------------- segments


def test_a_segment_never_stores_a_failing_filter(shop):
    client = client_for(shop["app"], shop["ids"]["sam"])
    page = client.get("/customers/").get_data(as_text=True)
    response = client.post("/customers/segments", data={
        "csrf_token": csrf(page), "name": "Whales", "filters_qs": "amount_min=1e30"},
        follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Segment not saved" in text and "Amount from" in text
    with app_session(shop["app"]) as session:
        assert session.scalar(select(Segment).where(Segment.name == "Whales")) is None
        with pytest.raises(FieldError) as refused:
            segments.save_segment(session, user=shop["ids"]["sam"], name="Whales",
                                  filters={"amount_min": "1e30"})
        assert refused.value.field == "amount_min"


def test_a_bad_segment_stored_earlier_does_not_break_the_list(shop):
    with app_session(shop["app"]) as session:
        poisoned = Segment(name="Poisoned", owner_id=shop["ids"]["mona"], shared=True,
                           filters={"amount_min": "1e30", "industry": "IT"})
        session.add(poisoned)
        session.flush()
        segment_id = poisoned.id
    client = client_for(shop["app"], shop["ids"]["sam"])
    response = client.get(f"/customers/?segment={segment_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "not valid any more" in page and "is-invalid" in page
    assert sorted(listed(page)) == ["Alpha", "Bravo", "Charlie"]  # industry=IT still applies
    with app_session(shop["app"]) as session:
        with pytest.raises(FieldError):  # never widened silently for other plugins
            services.segment_filters(session.get(Segment, segment_id))


# ---------------------------------------------------------------------------- item 17: bulk


def test_a_bulk_action_on_every_match_refuses_a_bad_filter(shop):
    client = client_for(shop["app"], shop["ids"]["mona"])
    with app_session(shop["app"]) as session:
        tag = services.create_tag(session, "Touched").id
    page = client.get("/customers/").get_data(as_text=True)
    for step in ("confirm", "run"):
        response = client.post("/customers/bulk", data={
            "csrf_token": csrf(page), "action": "add_tag", "scope": "all", "step": step,
            "tag_id": str(tag), "filters_qs": "industry=IT&amount_min=lots"},
            follow_redirects=True)
        text = response.get_data(as_text=True)
        assert "customers will be changed" not in text
        assert "these filters are not valid" in text and "Amount from" in text
    with app_session(shop["app"]) as session:
        assert session.scalars(select(CustomerTag)).all() == []


# ---------------------------------------------------------------------------- item 16: sizes


def test_notes_texts_phones_and_emails_have_caps(shop):
    client, sam = shop["app"].test_client(), shop["tokens"]["sam"]
    for body, field in (({"notes": "x" * 10_001}, "notes"),
                        ({"phones": [f"1381234{n:04d}" for n in range(21)]}, "phones"),
                        ({"emails": [f"a{n}@example.cn" for n in range(21)]}, "emails"),
                        ({"address": "x" * 301}, "address"),
                        ({"phones": ["1" * 1000]}, "phones")):
        response = client.post("/api/v1/customers", json={"name": "Big", **body}, headers=sam)
        assert response.status_code == 422, field
        # A list item's error may be named "phones.0" (the API kit flattens them).
        assert [name.split(".")[0] for name in response.get_json()["errors"]] == [field]
    many = client.post("/api/v1/customers", json={
        "name": "Many", "phones": [f"1381234{n:04d}" for n in range(21)]}, headers=sam)
    assert "At most 20 phone numbers." in str(many.get_json()["errors"]["phones"])
    fine = client.post("/api/v1/customers", json={
        "name": "Fine", "notes": "x" * 10_000,
        "phones": [f"1381234{n:04d}" for n in range(20)]}, headers=sam)
    assert fine.status_code == 201 and len(fine.get_json()["phones"]) == 20
    record = client.post(f"/api/v1/customers/{shop['customers'][0]}/contact-records",
                         json={"kind": "call", "content": "x" * 5001}, headers=sam)
    assert record.status_code == 422 and "content" in record.get_json()["errors"]
    with app_session(shop["app"]) as session:
        with pytest.raises(FieldError, match="At most 20 phone numbers") as refused:
            services.update_customer(session, shop["customers"][0], {
                "phones": ",".join(f"1381234{n:04d}" for n in range(10_000))})
        assert refused.value.field == "phones"
        with pytest.raises(FieldError) as refused:
            services.add_contact(session, shop["customers"][0], "Li",
                                 phones=[f"1381234{n:04d}" for n in range(21)])
        assert refused.value.field == "phones"


def test_the_form_shows_caps_under_their_fields(shop):
    client = client_for(shop["app"], shop["ids"]["sam"])
    page = client.get("/customers/new").get_data(as_text=True)
    response = client.post("/customers/new", data={
        "csrf_token": csrf(page), "name": "Big", "kind": "company", "country": "CN",
        "status": "active", "notes": "x" * 10_001,
        "phones": "\n".join(f"1381234{n:04d}" for n in range(21))})
    text = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 422)
    assert "At most 20 phone numbers." in text and "10000" in text.replace(",", "")
    with app_session(shop["app"]) as session:
        assert session.scalar(select(Customer).where(Customer.name == "Big")) is None


# ---------------------------------------------------------------------------- item 18: website


def test_a_website_is_http_or_https_in_the_api_form_and_page(shop):
    client, sam = shop["app"].test_client(), shop["tokens"]["sam"]
    for bad in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                "JaVaScRiPt://%0aalert(1)", "ftp://example.cn", "http://"):
        response = client.post("/api/v1/customers", json={"name": "W", "website": bad},
                               headers=sam)
        assert response.status_code == 422 and "website" in response.get_json()["errors"], bad
    made = client.post("/api/v1/customers", json={"name": "W", "website": "www.acme.cn"},
                       headers=sam)
    assert made.get_json()["website"] == "http://www.acme.cn"

    browser = client_for(shop["app"], shop["ids"]["sam"])
    customer_id = shop["customers"][0]
    page = browser.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    refused = browser.post(f"/customers/{customer_id}/edit", data={
        "csrf_token": csrf(page), "name": "Alpha", "kind": "company", "country": "CN",
        "status": "active", "owner_id": str(shop["ids"]["sam"]),
        "website": "javascript:alert(1)"})
    assert refused.status_code != 302 and "http:// or https://" in refused.get_data(as_text=True)

    with app_session(shop["app"]) as session:  # a value stored before the check
        session.get(Customer, customer_id).website = "javascript:alert(document.cookie)"
    detail = browser.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "javascript:alert(document.cookie)" in detail
    assert 'href="javascript:' not in detail.lower()
