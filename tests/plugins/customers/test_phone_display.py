"""Phones read the way people write them: Chinese numbers in the national format
(139 1234 5678, 021 3494 9468), foreign numbers in E.164 (+14155552671), the same on the
360° page, in its contacts, on the contacts list and in exports (stored E.164 stays in the
API)."""

from __future__ import annotations

import csv

import pytest

from crm_core.db import get_session
from crm_core.testing import DATABASES, create_test_user, login
from plugins.customers import services
from plugins.customers.contacts import services as contacts
from plugins.customers.exporting.views import write_export

PHONES = ["13912345678", "021-34949468", "+1 415 555 2671"]
SHOWN = ["139 1234 5678", "021 3494 9468", "+14155552671"]


@pytest.fixture(params=DATABASES)
def world(request, crm_make_app):
    """A customer with a mobile, a Shanghai landline and a US number, and a contact with a
    mobile; a superuser's client."""
    app = crm_make_app(plugins=["customers"], database=request.param)
    admin = create_test_user(app, "root", superuser=True)
    with app.test_request_context():
        session = get_session()
        customer = services.create_customer(session, name="上海远景", phones=PHONES)
        contacts.add_contact(session, customer.id, "王芳", phones=["13812345678"])
        session.commit()
        customer_id = customer.id
    return app, login(app.test_client(), admin), customer_id


def test_the_360_page_shows_national_and_e164_numbers(world):
    _app, client, customer_id = world
    html = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    for shown in SHOWN:
        assert shown in html
    assert "138 1234 5678" in html  # the contact's mobile
    assert "+86 139" not in html and "+8613912345678<" not in html
    assert 'href="tel:+8613912345678"' in html  # dialling keeps the full number


def test_the_contacts_list_shows_national_numbers(world):
    _app, client, _customer_id = world
    html = client.get("/customers/contacts").get_data(as_text=True)
    assert "138 1234 5678" in html and "+8613812345678" not in html


def test_the_api_keeps_e164(world):
    _app, client, customer_id = world
    body = client.get(f"/api/v1/customers/{customer_id}").get_json()
    assert body["phones"] == ["+8613912345678", "+862134949468", "+14155552671"]


def test_an_export_writes_phones_as_the_pages_show_them(world, tmp_path):
    app, _client, _customer_id = world
    path = tmp_path / "customers.csv"
    with app.app_context():
        assert write_export(get_session(), path) == 1
    with path.open(encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["Phones"] == "139 1234 5678; 021 3494 9468; +14155552671"
