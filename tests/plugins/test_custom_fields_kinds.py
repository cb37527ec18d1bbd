"""Every record kind that opted into custom fields carries them everywhere a user meets the
record: contacts, opportunities, orders, contracts, tickets and campaigns (customers have
their own tests). For each kind an administrator defines a choice and a money field; the
record's HTML form takes the values (a bad one shows an error under its input and saves
nothing), its page shows them, its list filters by the choice (page and API), its API
answers them under ``custom``, its history names the change by the field's label and its
export has a column per field."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask

from crm_core.custom_fields import service
from crm_core.custom_fields.storage import record_kinds
from crm_core.jobs.models import Job
from crm_core.testing_clients import bearer_token, create_test_user, login

EN = {"Accept-Language": "en"}
TIER = {"key": "tier", "type": "choice", "options": ["甲级", "乙级"], "filterable": True,
        "labels": {"zh_CN": "等级", "en": "Account tier"}}
CAP = {"key": "cap", "type": "money", "labels": {"zh_CN": "封顶金额", "en": "Cap amount"}}

#: kind → (HTML list path, API list path, the API's record title key)
KINDS = {
    "customers.contact": ("/customers/contacts", "/api/v1/customers/contacts", "name"),
    "sales.opportunity": ("/sales/opportunities", "/api/v1/sales/opportunities", "name"),
    "sales.order": ("/sales/orders", "/api/v1/sales/orders", "number"),
    "sales.contract": ("/sales/contracts", "/api/v1/sales/contracts", "number"),
    "service.ticket": ("/service/tickets", "/api/v1/service/tickets", "number"),
    "marketing.campaign": ("/marketing/campaigns", "/api/v1/marketing/campaigns", "name"),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    instance = tmp_path_factory.mktemp("kinds-cf")
    made = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}",
                                  ["customers", "sales", "service", "marketing"]))
    with made.app_context():
        upgrade(made)
    yield made
    made.extensions["crm_db"].engine.dispose()


@pytest.fixture(scope="module")
def world(app: Flask) -> dict[str, Any]:
    from plugins.customers.services import create_customer
    from plugins.sales.models import Product

    user = create_test_user(app, "kinds-root", superuser=True)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        kinds = record_kinds(app)
        for key in KINDS:
            service.create_field(session, kinds[key], TIER)
            service.create_field(session, kinds[key], CAP)
        customer = create_customer(session, name="自定义字段客户", owner_id=user.id)
        product = Product(sku="KCF-1", name="自定义字段产品", unit="个", list_price=1999,
                          tax_rate=1300)
        session.add(product)
        session.commit()
        ids = {"customer": customer.id, "product": product.id}
        session.close()
    return {**ids, "user": user,
            "headers": {"Authorization": f"Bearer {bearer_token(app, user)}", **EN}}


def _make(app: Flask, world: dict[str, Any], kind: str, tag: str) -> dict[str, Any]:
    """A record of ``kind`` made through its API; its API object."""
    api, headers, customer = app.test_client(), world["headers"], world["customer"]
    if kind == "service.ticket":
        made = api.post("/api/v1/service/requests", headers=headers, json={
            "customer_id": customer, "type": "complaint", "channel": "phone",
            "subject": f"工单{tag}", "content": "客户来电。", "priority": "high"})
        assert made.status_code == 201, made.get_json()
        ticket_id = made.get_json()["ticket_ids"][0]
        return api.get(f"/api/v1/service/tickets/{ticket_id}", headers=headers).get_json()
    body = {
        "customers.contact": {"customer_id": customer, "name": f"联系人{tag}"},
        "sales.opportunity": {"customer_id": customer, "name": f"商机{tag}", "amount": "100"},
        "sales.order": {"customer_id": customer, "lines": [
            {"product_id": world["product"], "quantity": "1"}]},
        "sales.contract": {"customer_id": customer, "title": f"合同{tag}",
                           "amount": "100"},
        "marketing.campaign": {"name": f"活动{tag}", "type": "email"},
    }[kind]
    made = api.post(KINDS[kind][1], json=body, headers=headers)
    assert made.status_code == 201, made.get_json()
    return made.get_json()


class _Forms(HTMLParser):
    """The POST forms of a page: ``[(action, {name: value})]`` as a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, Any]]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._values: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and (found.get("method") or "").lower() == "post":
            self._values = {}
            self.forms.append((found.get("action") or "", self._values))
        values = self._values
        name = found.get("name")
        if values is None or not name and tag != "option":
            return
        if tag == "input" and found.get("type") not in ("submit", "button"):
            if found.get("type") in ("checkbox", "radio") and "checked" not in found:
                return
            values.setdefault(name, found.get("value") or "")
        elif tag == "select":
            self._select = name
            values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in found:
            values[self._select] = found.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            values[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self._values is not None:
            self._values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._values = None


def _edit_form(client: Any, url: str) -> tuple[str, dict[str, Any]]:
    page = client.get(url, headers=EN)
    assert page.status_code == 200, url
    text = page.get_data(as_text=True)
    assert 'name="custom.tier"' in text and 'name="custom.cap"' in text, url
    parsed = _Forms()
    parsed.feed(text)
    # the record's form is the one with the custom inputs
    return next((action or url, values) for action, values in parsed.forms
                if "custom.tier" in values)


def _export(app: Flask, client: Any, list_path: str, resource_task: str) -> list[str]:
    page = client.get(list_path, headers=EN).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    started = client.post(f"{list_path}/export", data={"csrf_token": token})
    assert started.status_code == 302
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    with app.app_context(), app.test_request_context(headers=EN):
        from crm_core.db import get_session

        app.extensions["celery"].tasks[resource_task](job_id=job_id)
        assert get_session().get(Job, job_id).state == "done"
    return client.get(f"/jobs/{job_id}/download").get_data().decode("utf-8-sig").splitlines()


def _task_of(app: Flask, kind: str) -> str:
    from crm_core.resources.registration import resources

    with app.app_context():
        model = record_kinds(app)[kind].model
    return next(f"{plugin}.{resource.export_task}" for plugin, resource in
                resources(app.extensions["crm"].pm) if resource.model is model)


#: the money input marked refused (whatever the order of its attributes)
CAP_REFUSED = re.compile(r'<input[^>]*(?:is-invalid[^>]*name="custom\.cap"'
                         r'|name="custom\.cap"[^>]*is-invalid)')


def _count(app: Flask, world: dict[str, Any], api_path: str) -> int:
    answer = app.test_client().get(f"{api_path}?limit=200", headers=world["headers"])
    return len(answer.get_json()["items"])


def _new_values(world: dict[str, Any], kind: str, first: dict[str, Any]) -> dict[str, Any]:
    """What a user types into a new record's form of ``kind`` besides the custom fields."""
    customer = str(world["customer"])
    return {
        "customers.contact": {"customer_id": customer, "name": "新联系人"},
        "sales.opportunity": {"customer_id": customer, "name": "新商机", "amount": "100",
                              "pipeline_id": str(first.get("pipeline_id")),
                              "stage_id": str(first.get("stage_id")), "type": "new",
                              "forecast_category": "pipeline"},
        "sales.order": {"customer_id": customer, "lines-0-product_id": str(world["product"]),
                        "lines-0-quantity": "1"},
        "sales.contract": {"customer_id": customer, "title": "新合同", "amount": "100"},
        "service.ticket": {"request_id": str(first.get("request_id")), "subject": "新工单"},
        "marketing.campaign": {"name": "新活动"},
    }[kind]


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_new_record_takes_custom_values_from_its_form(app, world, kind):
    list_path, api_path, _title = KINDS[kind]
    first = _make(app, world, kind, "新")
    client = login(app.test_client(), world["user"])
    action, values = _edit_form(client, f"{list_path}/new")
    values = {**values, **_new_values(world, kind, first)}
    before = _count(app, world, api_path)
    refused = client.post(action, data={**values, "custom.cap": "1.234"}, headers=EN)
    assert refused.status_code in (200, 400, 422)
    assert CAP_REFUSED.search(refused.get_data(as_text=True))
    assert _count(app, world, api_path) == before  # nothing saved
    saved = client.post(action, data={**values, "custom.tier": "乙级", "custom.cap": "5"},
                        headers=EN)
    assert saved.status_code in (302, 303), re.findall(r"<(?:input|select)[^>]*is-invalid",
                                                       saved.get_data(as_text=True))
    record_id = int(saved.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    answer = app.test_client().get(f"{api_path}/{record_id}", headers=world["headers"])
    assert answer.get_json()["custom"] == {"tier": "乙级", "cap": "5.00"}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_kind_carries_its_custom_fields_everywhere(app, world, kind):
    list_path, api_path, title = KINDS[kind]
    headers, api = world["headers"], app.test_client()
    first, second = _make(app, world, kind, "一"), _make(app, world, kind, "二")
    assert first["custom"] == {"tier": None, "cap": None}  # the API answers every field
    client = login(app.test_client(), world["user"])
    detail = f"{list_path}/{first['id']}"

    # the form: a bad money value is an error under its input and nothing is saved
    action, values = _edit_form(client, f"{detail}/edit")
    refused = client.post(action, data={**values, "custom.tier": "甲级",
                                        "custom.cap": "很多"}, headers=EN)
    assert refused.status_code in (200, 400, 422), refused.status_code
    assert CAP_REFUSED.search(refused.get_data(as_text=True))
    assert api.get(f"{api_path}/{first['id']}", headers=headers).get_json()["custom"] == \
        {"tier": None, "cap": None}
    saved = client.post(action, data={**values, "custom.tier": "甲级",
                                      "custom.cap": "1,234.5"}, headers=EN)
    assert saved.status_code in (302, 303), saved.get_data(as_text=True)[:2000]

    # the API answers the values and takes them
    assert api.get(f"{api_path}/{first['id']}", headers=headers).get_json()["custom"] == \
        {"tier": "甲级", "cap": "1234.50"}
    changed = api.patch(f"{api_path}/{second['id']}", json={"custom": {"tier": "乙级"}},
                        headers=headers)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["custom"]["tier"] == "乙级"
    bad = api.patch(f"{api_path}/{second['id']}", json={"custom": {"cap": "很多"}},
                    headers=headers)
    assert bad.status_code == 422 and "custom.cap" in bad.get_json()["errors"]

    # the page shows them, and its history names the change by the field's label
    page = html.unescape(client.get(detail, headers=EN).get_data(as_text=True))
    assert "crm-custom-values" in page and "甲级" in page and "1,234.50" in page
    history = page[page.index("crm-audit-history"):]
    assert "Account tier" in history and "Cap amount" in history

    # the list filters by the choice, on the page and in the API
    listed = client.get(f"{list_path}?custom.tier=甲级", headers=EN)
    assert listed.status_code == 200
    text = listed.get_data(as_text=True)
    assert first[title] in text and second[title] not in text
    assert 'name="custom.tier"' in text
    found = api.get(f"{api_path}?custom.tier=甲级", headers=headers).get_json()["items"]
    assert [item["id"] for item in found] == [first["id"]]
    assert api.get(f"{api_path}?custom.tier=丙级", headers=headers).status_code == 422
    document = api.get("/api/v1/openapi.json", headers=headers).get_json()
    assert "custom.tier" in {parameter["name"] for parameter in
                             document["paths"][api_path]["get"]["parameters"]}

    # the export has a column per field, each cell as an import reads it back
    lines = _export(app, client, list_path, _task_of(app, kind))
    assert lines[0].endswith(",Account tier,Cap amount"), lines[0]
    assert any(line.endswith(",甲级,1234.50") for line in lines[1:]), lines
