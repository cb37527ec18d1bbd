"""A Resource over a model with ``toolkit.custom_column`` carries the custom fields on its
generated pages and API without code of its own: the contacts of the customers plugin
(``customers.contact``) as the example."""

from __future__ import annotations

import html

import pytest

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.custom_fields import service
from crm_core.custom_fields.storage import record_kinds
from crm_core.db import get_session
from crm_core.testing import create_test_user, login
from plugins.customers import services

API = "/api/v1/customers/contacts"
EN = {"Accept-Language": "en"}


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=["customers"])


@pytest.fixture
def world(app):
    with app.app_context():
        session = get_session()
        kind = record_kinds(app)["customers.contact"]
        service.create_field(session, kind, {
            "key": "role", "type": "choice", "options": ["决策人", "使用人"],
            "labels": {"zh_CN": "角色", "en": "Buying role"}, "filterable": True})
        service.create_field(session, kind, {
            "key": "birthday", "type": "date", "labels": {"en": "Birthday"}})
        customer = services.create_customer(session, name="华东医疗")
        session.commit()
        user = create_test_user(app, "root", superuser=True)
        _row, plain = create_token(session, session.get(User, user.id), "test")
        session.commit()
        return {"customer": customer.id, "user": user,
                "headers": {"Authorization": f"Bearer {plain}"}}


def test_the_api_takes_and_answers_custom_values_and_filters(app, world):
    client = app.test_client()
    headers = world["headers"]
    made = client.post(API, json={"customer_id": world["customer"], "name": "王经理",
                                  "custom": {"role": "决策人", "birthday": "1980/5/4"}},
                       headers=headers)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["custom"] == {"role": "决策人", "birthday": "1980-05-04"}
    client.post(API, json={"customer_id": world["customer"], "name": "小李",
                           "custom": {"role": "使用人"}}, headers=headers)
    found = client.get(f"{API}?custom.role=决策人", headers=headers).get_json()["items"]
    assert [item["name"] for item in found] == ["王经理"]
    refused = client.post(API, json={"customer_id": world["customer"], "name": "X",
                                     "custom": {"role": "路人"}}, headers=headers)
    assert refused.status_code == 422 and "custom.role" in refused.get_json()["errors"]
    bad_filter = client.get(f"{API}?custom.birthday_from=yesterday", headers=headers)
    assert bad_filter.status_code == 422
    document = client.get("/api/v1/openapi.json", headers=headers).get_json()
    names = {parameter["name"] for parameter in document["paths"][API]["get"]["parameters"]}
    assert {"custom.role", "custom.birthday_from"} <= names


def test_the_generated_form_and_detail_page_show_the_fields(app, world):
    app.config["WTF_CSRF_ENABLED"] = False
    client = login(app.test_client(), world["user"])
    form = client.get("/customers/contacts/new", headers=EN).get_data(as_text=True)
    assert 'name="custom.role"' in form and "Buying role" in form
    bad = client.post("/customers/contacts", data={
        "customer_id": world["customer"], "name": "王经理", "custom.birthday": "明天"},
        headers=EN)
    assert bad.status_code in (200, 400)
    assert "Enter a date as YYYY-MM-DD." in html.unescape(bad.get_data(as_text=True))
    saved = client.post("/customers/contacts", data={
        "customer_id": world["customer"], "name": "王经理", "custom.role": "决策人"},
        headers=EN)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    page = client.get(saved.headers["Location"], headers=EN).get_data(as_text=True)
    assert "crm-custom-values" in page and "决策人" in page


def test_the_generated_list_filters_and_shows_a_column(app, world):
    client = login(app.test_client(), world["user"])
    headers = world["headers"]
    api = app.test_client()
    for name, role in (("王经理", "决策人"), ("小李", "使用人")):
        api.post(API, json={"customer_id": world["customer"], "name": name,
                            "custom": {"role": role}}, headers=headers)
    page = client.get("/customers/contacts?custom.role=决策人", headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "王经理" in text and "小李" not in text
    assert 'name="custom.role"' in text and "crm-custom-column" in text
    bad = client.get("/customers/contacts?custom.role=路人", headers=EN)
    assert bad.status_code == 400


def test_the_generated_export_has_a_column_per_field(app, world):
    import re

    from crm_core.jobs.models import Job

    client = login(app.test_client(), world["user"])
    api = app.test_client()
    api.post(API, json={"customer_id": world["customer"], "name": "王经理",
                        "custom": {"role": "决策人", "birthday": "1980-05-04"}},
             headers=world["headers"])
    page = client.get("/customers/contacts", headers=EN).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    started = client.post("/customers/contacts/export", data={"csrf_token": token})
    assert started.status_code == 302
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        app.extensions["celery"].tasks["customers.export_contacts"](job_id=job_id)
        assert get_session().get(Job, job_id).state == "done"
    lines = client.get(f"/jobs/{job_id}/download").get_data().decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",Buying role,Birthday")
    assert lines[1].endswith(",决策人,1980-05-04")
