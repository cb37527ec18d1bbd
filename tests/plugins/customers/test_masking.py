"""号码脱敏 on the customers plugin: a sales rep sees masked phones, e-mails and addresses in
the API, on the customer's page, in exports and in search suggestions; a manager sees them
in clear; revealing one value is an operation-log entry; an edit with masks keeps the
stored values. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from customers_testing import add_user, app_session, client_for, csrf
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.rbac.departments import create_department
from plugins.customers import services
from plugins.customers.exporting.views import write_export
from plugins.customers.models import Customer

PHONE, EMAIL = "13912345678", "zhang@example.com"
ADDRESS = "北京市海淀区中关村大街1号"
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def world(request, crm_make_app):
    """A sales rep (Sally) and a manager (Mia) of one department, a rep of another (Bob),
    and Sally's customer with a phone, an e-mail, an address and a contact."""
    app = crm_make_app(plugins=["customers"], database=request.param)
    with app_session(app) as session:
        team = create_department(session, "Team A").id
        other = create_department(session, "Team B").id
        session.commit()
        ids = {"sally": add_user(app, session, "sally", ["sales"], team),
               "mia": add_user(app, session, "mia", ["manager"], team),
               "vic": add_user(app, session, "vic", ["viewer"], team),
               "bob": add_user(app, session, "bob", ["sales"], other)}
        customer = services.create_customer(
            session, name="远景科技", phones=[PHONE, "010-65529988"], emails=[EMAIL],
            address=ADDRESS, owner_id=ids["sally"], department_id=team)
        services.add_contact(session, customer.id, "王经理", phones=["13800001111"],
                             email="wang@example.com")
        bobs = services.create_customer(session, name="Bob 上海", phones=["13700002222"],
                                        owner_id=ids["bob"], department_id=other)
        session.commit()
        ids.update(customer=customer.id, bobs=bobs.id)
    return app, ids


def test_a_sales_rep_gets_masked_phones_from_the_api_and_a_manager_clear_ones(world):
    app, ids = world
    sally, mia = client_for(app, ids["sally"]), client_for(app, ids["mia"])
    body = sally.get(f"/api/v1/customers/{ids['customer']}").get_json()
    assert body["phones"] == ["139****5678", "010****9988"]
    assert body["emails"] == ["z***@example.com"]
    assert body["address"] == "北京市海淀区****"
    listed = sally.get("/api/v1/customers").get_json()["items"]
    assert listed[0]["phones"] == ["139****5678", "010****9988"]
    assert listed[0]["emails"] == ["z***@example.com"]
    assert listed[0]["address"] == "北京市海淀区****"
    searched = sally.get("/api/v1/customers?q=远景").get_json()["items"]
    assert searched[0]["phones"][0] == "139****5678"
    contacts = sally.get(f"/api/v1/customers/{ids['customer']}/contacts").get_json()["items"]
    assert contacts[0]["phones"] == ["138****1111"]
    assert contacts[0]["email"] == "w***@example.com"
    clear = mia.get(f"/api/v1/customers/{ids['customer']}").get_json()
    assert clear["phones"] == ["+8613912345678", "+861065529988"]
    assert clear["emails"] == [EMAIL] and clear["address"] == ADDRESS


def test_the_customer_page_masks_and_a_reveal_is_logged(world):
    app, ids = world
    sally = client_for(app, ids["sally"])
    page = sally.get(f"/customers/{ids['customer']}").get_data(as_text=True)
    assert "139****5678" in page and "z***@example.com" in page and "138****1111" in page
    assert "139 1234 5678" not in page and PHONE not in page and EMAIL not in page
    assert "中关村" not in page
    url = f"/sensitive/customers.customer/{ids['customer']}/phones/reveal"
    assert f'hx-post="{url}"' in page
    assert sally.post(url, data={"index": "0"}).status_code == 400  # no CSRF token
    token = csrf(page)
    answer = sally.post(url, data={"index": "0"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200
    assert "139 1234 5678" in answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    with app_session(app) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "reveal")).one()
        assert entry.record_id == str(ids["customer"])
        changes = json.loads(entry.changes)
        assert changes["field"] == "phones" and changes["index"] == 0
        assert entry.username == "sally" and entry.model == "customers_customer"
        assert "5678" not in entry.changes  # the log says what, never the value
    manager_page = client_for(app, ids["mia"]).get(f"/customers/{ids['customer']}")
    text = manager_page.get_data(as_text=True)
    assert "139 1234 5678" in text and EMAIL in text and ADDRESS in text


def test_reveal_needs_the_record_in_scope_and_the_reveal_permission(world):
    app, ids = world
    sally, vic = client_for(app, ids["sally"]), client_for(app, ids["vic"])
    token = csrf(sally.get(f"/customers/{ids['customer']}").get_data(as_text=True))
    headers = {"X-CSRFToken": token}
    bobs = f"/sensitive/customers.customer/{ids['bobs']}/phones/reveal"
    assert sally.post(bobs, data={"index": "0"}, headers=headers).status_code == 404
    mine = f"/sensitive/customers.customer/{ids['customer']}/phones/reveal"
    assert sally.post(mine, data={"index": "7"}, headers=headers).status_code == 404
    assert sally.post(mine, data={"index": "x"}, headers=headers).status_code == 400
    assert sally.post(mine.replace("phones", "notes"), headers=headers).status_code == 404
    assert sally.post(mine.replace("customers.customer", "no.such"),
                      headers=headers).status_code == 404
    vic_token = csrf(vic.get(f"/customers/{ids['customer']}").get_data(as_text=True))
    assert vic.post(mine, data={"index": "0"},
                    headers={"X-CSRFToken": vic_token}).status_code == 403
    # a customer in the trash: nothing to reveal
    with app_session(app) as session:
        services.delete_customer(session, ids["customer"])
    assert sally.post(mine, data={"index": "0"}, headers=headers).status_code == 404


def _edit_form(page):
    fields = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    phones = re.search(r'<textarea[^>]*name="phones"[^>]*>\s*([^<]*)</textarea>', page)
    emails = re.search(r'<textarea[^>]*name="emails"[^>]*>\s*([^<]*)</textarea>', page)
    return fields, phones.group(1), emails.group(1)


def test_an_edit_with_masks_keeps_the_stored_values(world):
    app, ids = world
    sally = client_for(app, ids["sally"])
    page = sally.get(f"/customers/{ids['customer']}/edit").get_data(as_text=True)
    assert "139****5678" in page and "+8613912345678" not in page and "中关村" not in page
    fields, phones, emails = _edit_form(page)
    assert fields["address"] == "北京市海淀区****"
    data = {"csrf_token": fields["csrf_token"], "name": "远景科技（新）", "kind": "company",
            "country": "CN", "status": "active", "owner_id": str(ids["sally"]),
            "phones": phones + "\n13600003333", "emails": emails, "address": fields["address"]}
    answer = sally.post(f"/customers/{ids['customer']}/edit", data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    with app_session(app) as session:
        customer = session.get(Customer, ids["customer"])
        assert customer.name == "远景科技（新）"
        assert customer.phones == ["+8613912345678", "+861065529988", "+8613600003333"]
        assert customer.emails == [EMAIL] and customer.address == ADDRESS
    # a mask that is not one of the stored values is refused, never saved
    refused = sally.post(f"/customers/{ids['customer']}/edit",
                         data={**data, "emails": "q***@example.com"})
    assert refused.status_code == 400
    assert "masked value cannot be saved" in refused.get_data(as_text=True)
    assert "139****5678" in refused.get_data(as_text=True)  # the form shows masks again
    assert "+8613912345678" not in refused.get_data(as_text=True)
    with app_session(app) as session:
        assert session.get(Customer, ids["customer"]).emails == [EMAIL]


def test_exports_and_search_suggestions_mask_for_a_sales_rep(world, tmp_path):
    app, ids = world
    with app_session(app) as session:
        path = tmp_path / "sally.csv"
        assert write_export(session, path, user=ids["sally"]) == 1
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        record = dict(zip(rows[0], rows[1], strict=True))
        assert record["Phones"] == "139****5678; 010****9988"
        assert record["Emails"] == "z***@example.com"
        assert record["Address"] == "北京市海淀区****"
        clear = tmp_path / "mia.csv"
        write_export(session, clear, user=ids["mia"])
        assert "139 1234 5678" in clear.read_bytes().decode("utf-8-sig")
    sally = client_for(app, ids["sally"])
    hints = sally.get("/search/suggest?q=远景").get_data(as_text=True)
    assert "远景科技" in hints and "139****5678" in hints and "1234 5678" not in hints
    mia = client_for(app, ids["mia"])
    assert "139 1234 5678" in mia.get("/search/suggest?q=远景").get_data(as_text=True)


def test_an_api_client_sending_masks_back_keeps_the_stored_values(world):
    app, ids = world
    sally = client_for(app, ids["sally"])
    url = f"/api/v1/customers/{ids['customer']}"
    token = csrf(sally.get(f"/customers/{ids['customer']}").get_data(as_text=True))
    headers = {"X-CSRFToken": token}
    read = sally.get(url).get_json()
    sent = {"phones": read["phones"], "emails": read["emails"], "address": read["address"],
            "industry": "软件"}
    answer = sally.patch(url, json=sent, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["phones"] == ["139****5678", "010****9988"]
    refused = sally.patch(url, json={"emails": ["q***@example.com"]}, headers=headers)
    assert refused.status_code == 422 and "emails" in refused.get_json()["errors"]
    with app_session(app) as session:
        customer = session.get(Customer, ids["customer"])
        assert customer.industry == "软件" and customer.address == ADDRESS
        assert customer.phones == ["+8613912345678", "+861065529988"]
        assert customer.emails == [EMAIL]


def test_id_card_numbers_and_bank_accounts_keep_only_their_ends(world):
    app, ids = world
    with app_session(app) as session:
        person = services.create_customer(
            session, name="张三", kind="person", owner_id=ids["sally"],
            id_card_number="110101199003071233", bank_account="6222021234567890")
        session.commit()
        person_id = person.id
    sally, mia = client_for(app, ids["sally"]), client_for(app, ids["mia"])
    body = sally.get(f"/api/v1/customers/{person_id}").get_json()
    assert body["id_card_number"] == "1101**********1233"
    assert body["bank_account"] == "**** 7890"
    listed = {item["id"]: item for item in sally.get("/api/v1/customers").get_json()["items"]}
    assert listed[person_id]["id_card_number"] == "1101**********1233"
    assert listed[person_id]["bank_account"] == "**** 7890"
    page = sally.get(f"/customers/{person_id}").get_data(as_text=True)
    assert "1101**********1233" in page and "110101199003071233" not in page
    assert "6222021234567890" not in page
    clear = mia.get(f"/api/v1/customers/{person_id}").get_json()
    assert clear["id_card_number"] == "110101199003071233"
