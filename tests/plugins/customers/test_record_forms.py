"""The customer form as office staff use it: every bad phone, email and USCC is named under
its field, a good customer is saved with the user as owner, edits are saved, delete moves
to the trash (and restore brings it back), and roles and data scope decide who may do what."""

from __future__ import annotations

import html
import re

import pytest
from customers_testing import Browser, add_staff
from sqlalchemy import func, select

from crm_core.rbac.departments import create_department
from plugins.customers import services
from plugins.customers.models import Customer
from plugins.customers.validation import uscc_check_char

USCC = "91110108MA01C3XK5" + uscc_check_char("91110108MA01C3XK5")
EN = {"Accept-Language": "en"}



@pytest.fixture
def web(customers_app, session):
    """A signed-in superuser's client (CSRF is checked in its own test)."""
    customers_app.config["WTF_CSRF_ENABLED"] = False
    root = add_staff(customers_app, session, "root", superuser=True)
    return Browser(customers_app, root)


def field_errors(page: str, field: str) -> list[str]:
    """The error texts shown under the field named ``field``."""
    match = re.search(rf'name="{field}"(.*?)(?=<label|</form>)', page, re.S)
    assert match, f"no field {field}"
    return [html.unescape(error) for error in
            re.findall(r'<div class="invalid-feedback">(.*?)</div>', match.group(1), re.S)]


def post_new(client, **values):
    data = {"name": "北京远景科技有限公司", "kind": "company", "country": "CN",
            "status": "active", **values}
    return client.post("/customers/new", data=data, headers=EN)


BAD_VALUES = [
    ("phones", "1381234567", "is not a Chinese mobile number"),
    ("phones", "010-1234", "is not a Chinese landline number"),
    ("phones", "+1 650 253", "is not a valid international number"),
    ("emails", "sales@example", "is not an email address"),
    ("uscc", USCC[:17] + ("0" if USCC[17] != "0" else "1"), "last character does not match"),
    ("uscc", "9111", "has 18 characters"),
]


def test_each_bad_value_is_named_under_its_field(web, session):
    for field, value, message in BAD_VALUES:
        response = post_new(web, **{field: value})
        page = response.get_data(as_text=True)
        assert response.status_code == 400, value
        errors = field_errors(page, field)
        assert any(message in error for error in errors), (value, errors)
        assert "Please correct the fields marked in red." in page
        assert value.split()[0] in page  # what was typed is kept

    # every bad phone is listed, not just the first
    page = post_new(web, phones="13812345678\n1234\n010-1").get_data(as_text=True)
    errors = field_errors(page, "phones")
    assert len(errors) == 2 and "1234" in errors[0] and "010-1" in errors[1]

    # a rule only the service knows (a taken code) lands under its field too
    services.create_customer(session, name="Taken", code="VIP-1")
    session.commit()
    page = post_new(web, code="vip-1").get_data(as_text=True)
    assert any("VIP-1 is already used" in error for error in field_errors(page, "code"))
    assert session.scalar(select(func.count(Customer.id))) == 1


def test_a_new_customer_is_saved_with_the_user_as_owner_and_their_department(
        customers_app, session):
    customers_app.config["WTF_CSRF_ENABLED"] = False
    team = create_department(session, "East").id
    session.commit()
    sally = add_staff(customers_app, session, "sally", ["sales"], team)
    client = Browser(customers_app, sally)
    form = client.get("/customers/new", headers=EN).get_data(as_text=True)
    assert re.search(rf'<option selected value="{sally.id}">sally</option>', form)
    response = post_new(client, owner_id=str(sally.id),
                        phones="138 1234 5678, (0755) 1234567 转 89\n+1 650 253 0000",
                        emails="Sales@Example.com", uscc=USCC.lower())
    assert response.status_code == 302
    customer = session.scalar(select(Customer))
    assert response.headers["Location"] == f"/customers/{customer.id}"
    assert customer.owner_id == sally.id and customer.department_id == team
    assert customer.phones == ["+8613812345678", "+867551234567;ext=89", "+16502530000"]
    assert customer.emails == ["sales@example.com"] and customer.uscc == USCC
    assert customer.code == f"C{customer.id:06d}"
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Customer 北京远景科技有限公司 added." in page


def test_edit_shows_current_values_and_saves_changes(web, session):
    customer = services.create_customer(session, name="Old name", phones=["13812345678"],
                                        emails=["a@example.com", "b@example.com"])
    session.commit()
    form = web.get(f"/customers/{customer.id}/edit", headers=EN).get_data(as_text=True)
    assert 'value="Old name"' in form and "a@example.com\nb@example.com" in form
    response = web.post(f"/customers/{customer.id}/edit", headers=EN, data={
        "name": "New name", "kind": "person", "country": "cn", "status": "lost",
        "phones": "13812345678", "emails": "b@example.com", "industry": "制造业"})
    assert response.status_code == 302
    session.expire_all()
    changed = session.get(Customer, customer.id)
    assert (changed.name, changed.kind, changed.country, changed.status, changed.industry) == (
        "New name", "person", "CN", "lost", "制造业")
    assert changed.emails == ["b@example.com"]


def test_delete_moves_to_the_trash_and_restore_brings_it_back(web, session):
    customer = services.create_customer(session, name="Oops Ltd")
    session.commit()
    page = web.get(f"/customers/{customer.id}", headers=EN).get_data(as_text=True)
    assert 'data-confirm="Move Oops Ltd to the trash? You can restore it later."' in page
    response = web.post(f"/customers/{customer.id}/delete", headers=EN, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Oops Ltd was moved to the trash." in page and "This customer is in the trash" in page
    session.expire_all()
    assert session.get(Customer, customer.id).in_trash
    response = web.post(f"/customers/{customer.id}/restore", headers=EN, follow_redirects=True)
    assert "Oops Ltd was restored." in response.get_data(as_text=True)
    session.expire_all()
    assert not session.get(Customer, customer.id).in_trash


def test_forms_refuse_a_post_without_csrf_token(customers_app, session):
    root = add_staff(customers_app, session, "root", superuser=True)
    client = Browser(customers_app, root)
    assert post_new(client).status_code == 400
    assert session.scalar(select(Customer)) is None


def test_roles_and_scope_decide_who_sees_edits_and_deletes(customers_app, session):
    customers_app.config["WTF_CSRF_ENABLED"] = False
    east = create_department(session, "East").id
    west = create_department(session, "West").id
    session.commit()
    sally = add_staff(customers_app, session, "sally", ["sales"], east)
    gone = services.create_customer(session, name="Gone", owner_id=sally.id,
                                    department_id=east)
    services.delete_customer(session, gone.id)
    session.commit()
    bob = add_staff(customers_app, session, "bob", ["sales"], west)
    vera = add_staff(customers_app, session, "vera", ["viewer"], east)
    mine = services.create_customer(session, name="Sally's", owner_id=sally.id,
                                    department_id=east)
    theirs = services.create_customer(session, name="Bob's", owner_id=bob.id,
                                      department_id=west)
    session.commit()
    as_sally = Browser(customers_app, sally)
    assert as_sally.get(f"/customers/{mine.id}").status_code == 200
    # in the trash: missing for those who may not restore it
    assert as_sally.get(f"/customers/{gone.id}").status_code == 404
    # giving a new customer to someone outside her scope leads back to the list
    handed = post_new(as_sally, name="For Bob", owner_id=str(bob.id))
    assert handed.status_code == 302 and handed.headers["Location"] == "/customers/"
    assert session.scalar(select(Customer).where(Customer.name == "For Bob")).owner_id == bob.id
    for url in (f"/customers/{theirs.id}", f"/customers/{theirs.id}/edit"):
        assert as_sally.get(url).status_code == 404, url
    assert as_sally.post(f"/customers/{theirs.id}/edit", data={"name": "x"}).status_code == 404
    # sales may not delete; the button is not shown either
    assert as_sally.post(f"/customers/{mine.id}/delete").status_code == 403
    assert "/delete" not in as_sally.get(f"/customers/{mine.id}").get_data(as_text=True)

    as_vera = Browser(customers_app, vera)
    assert as_vera.get(f"/customers/{mine.id}/edit").status_code == 403
    assert as_vera.get("/customers/new").status_code == 403
    assert as_vera.post("/customers/contacts", data={"customer_id": str(mine.id),
                                                     "name": "x"}).status_code == 403
    # a viewer reads her department's customers, without edit, delete or add buttons
    page = as_vera.get(f"/customers/{mine.id}", headers=EN)
    assert page.status_code == 200
    html_text = page.get_data(as_text=True)
    assert "Sally&#39;s" in html_text or "Sally's" in html_text
    for action in ("/edit", "/delete", "/contacts\"", "/records\""):
        assert f"/customers/{mine.id}{action}" not in html_text, action
