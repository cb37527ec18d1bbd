"""The customer's 360° page: basics, contacts, the contact-record timeline with other plugins'
entries, follow-ups and other plugins' panels; contacts and records are added, edited and
deleted on it; a broken plugin never breaks it."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from customers_testing import Browser, add_staff
from markupsafe import Markup
from sqlalchemy import select

from crm_core.auth.models import User
from crm_core.rbac.departments import create_department
from crm_core.testing import create_test_user, login
from crm_core.toolkit import hookimpl
from plugins.customers import services
from plugins.customers.models import Contact, ContactRecord, Customer
from plugins.customers.search import services as search

EN = {"Accept-Language": "en"}
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

SHANGHAI = ZoneInfo("Asia/Shanghai")  # CRM_DEFAULT_TIMEZONE



class OrdersPlugin:
    """A stand-in for another plugin that offers a panel and timeline entries."""

    @hookimpl
    def crm_customer_panels(self, customer_id, user):
        return [{"id": "orders.open", "title": "Open orders", "order": 20,
                 "html": Markup(f"<p class='orders'>3 open orders of {customer_id}</p>")},
                {"id": "orders.first", "title": "Credit limit", "order": 5,
                 "html": Markup("<p>¥50,000</p>")}]

    @hookimpl
    def crm_customer_timeline(self, customer_id, user, before, limit):
        entries = [{"at": NOW - dt.timedelta(days=days), "kind": "order",
                    "title": f"Order SO-{days}", "url": f"/orders/{days}", "plugin": "orders"}
                   for days in (1, 3, 40)]
        return [entry for entry in entries if before is None or entry["at"] < before][:limit]


class BrokenPlugin:
    """A plugin whose hooks raise."""

    @hookimpl
    def crm_customer_panels(self, customer_id, user):
        raise RuntimeError("orders database is down")

    @hookimpl
    def crm_customer_timeline(self, customer_id, user, before, limit):
        raise RuntimeError("orders database is down")


@pytest.fixture
def web(customers_app, session):
    customers_app.config["WTF_CSRF_ENABLED"] = False
    root = add_staff(customers_app, session, "root", superuser=True)
    return Browser(customers_app, root)


@pytest.fixture
def customer(session):
    customer = services.create_customer(
        session, name="华宇科技有限公司", phones=["13812345678"], emails=["hi@huayu.cn"],
        province="北京市", city="北京市", industry="软件")
    tag = services.create_tag(session, "VIP", "#ffc107")
    services.add_tag(session, customer.id, tag.id)
    services.add_contact(session, customer.id, "王经理", title="采购", phones="13900001111",
                         is_primary=True)
    services.add_contact(session, customer.id, "Li Lei", email="li@huayu.cn")
    session.commit()
    return customer


def fields(prefix: str, **values) -> dict[str, str]:
    """Form data for a form whose field names carry ``prefix`` (the page has several)."""
    return {f"{prefix}-{name}": value for name, value in values.items()}


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_page_shows_basics_tags_contacts_and_records(web, session, customer):
    contact = session.scalar(select(Contact).where(Contact.name == "王经理"))
    services.add_contact_record(session, customer.id, kind="visit", content="谈了续约",
                                contact_id=contact.id, occurred_at=NOW - dt.timedelta(days=2),
                                next_follow_up=dt.date.today() + dt.timedelta(days=3))
    session.commit()
    page = text(web.get(f"/customers/{customer.id}", headers=EN))
    assert "华宇科技有限公司" in page and customer.code in page
    assert "+8613812345678" in page and "hi@huayu.cn" in page and "北京市" in page
    assert ">VIP</span>" in page and "background-color: #ffc107; color: #000" in page
    assert page.index("王经理") < page.index("Li Lei")  # primary first, with a star
    assert "bi-star-fill" in page
    assert "谈了续约" in page and "Visit" in page
    assert "Follow up on " in page
    assert "Change history" in page and 'id="customer-history"' in page
    form = text(web.get(f"/customers/{customer.id}/edit", headers=EN))
    for html_page in (page, form):  # CSP: no inline scripts or event handlers
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html_page)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html_page)
    assert '<option value="北京市" data-cities="北京市" selected>' in form  # province list


def test_panels_and_timeline_entries_of_other_plugins_appear(customers_app, web, session,
                                                              customer):
    customers_app.extensions["crm"].pm.register(OrdersPlugin(), name="orders-test")
    services.add_contact_record(session, customer.id, kind="call", content="Called about SO-3",
                                occurred_at=NOW - dt.timedelta(days=2))
    session.commit()
    page = text(web.get(f"/customers/{customer.id}", headers=EN))
    assert f"<p class='orders'>3 open orders of {customer.id}</p>" in page  # HTML kept
    assert page.index("Credit limit") < page.index("Open orders")  # by order
    # merged by time, newest first
    order1, call, order3 = (page.index(marker) for marker in
                            ("Order SO-1", "Called about SO-3", "Order SO-3"))
    assert order1 < call < order3
    assert 'href="/orders/1"' in page


def test_a_failing_plugin_is_skipped_and_the_page_still_shows(customers_app, web, customer,
                                                              caplog):
    customers_app.extensions["crm"].pm.register(BrokenPlugin(), name="broken-test")
    customers_app.extensions["crm"].pm.register(OrdersPlugin(), name="orders-test")
    response = web.get(f"/customers/{customer.id}", headers=EN)
    assert response.status_code == 200
    assert "Open orders" in text(response) and "Order SO-1" in text(response)
    assert "broken-test failed in crm_customer_panels" in caplog.text


def test_load_older_pages_through_the_merged_timeline(customers_app, web, session, customer):
    customers_app.extensions["crm"].pm.register(OrdersPlugin(), name="orders-test")
    for day in range(25):
        services.add_contact_record(session, customer.id, kind="call", content=f"call #{day}",
                                    occurred_at=NOW - dt.timedelta(days=day, hours=12))
    session.commit()
    page = text(web.get(f"/customers/{customer.id}", headers=EN))
    assert page.count('class="list-group-item customers-record"') + page.count(
        "customers-plugin-entry") == 20
    assert "Load older" in page and "Order SO-40" not in page
    seen = page.count("call #")
    pages = 1
    while match := re.search(r'hx-get="(/customers/\d+/timeline\?before=[^"]+)"', page):
        page = text(web.get(html.unescape(match.group(1)), headers=EN))
        assert "<html" not in page  # a partial for htmx
        seen += page.count("call #")
        pages += 1
    assert seen == 25 and pages == 2
    assert "Order SO-40" in page  # the oldest entry comes last


def test_contacts_are_added_edited_and_deleted_from_the_customer_page(web, session, customer):
    """The contacts panel's buttons open the contacts resource's form with the customer
    preselected, and every write comes back to the customer's page."""
    url = f"/customers/{customer.id}"
    page = html.unescape(text(web.get(url, headers=EN)))
    add_link = re.search(r'href="(/customers/contacts/new\?[^"]+)"', page).group(1)
    assert f"customer_id={customer.id}" in add_link and "next=" in add_link
    form = text(web.get(add_link, headers=EN))
    assert re.search(rf'<option selected value="{customer.id}">华宇科技有限公司</option>', form)
    back = f"{url}#contacts"
    assert f'<input type="hidden" name="next" value="{back}">' in form  # comes back here
    new = {"customer_id": str(customer.id), "next": back}
    bad = web.post("/customers/contacts", headers=EN, data={**new, "name": "赵六",
                                                            "phones": "12345"})
    assert bad.status_code == 400 and "is not a Chinese mobile number" in text(bad)
    added = web.post("/customers/contacts", headers=EN, data={
        **new, "name": "赵六", "title": "CEO", "phones": "010-87654321",
        "email": "ZHAO@huayu.cn", "is_primary": "y"})
    assert added.status_code == 302 and added.headers["Location"].endswith(f"{url}#contacts")
    zhao = session.scalar(select(Contact).where(Contact.name == "赵六"))
    assert zhao.email == "zhao@huayu.cn" and zhao.phones == ["+861087654321"]
    primaries = session.scalars(select(Contact.name).where(
        Contact.customer_id == customer.id, Contact.is_primary.is_(True))).all()
    assert primaries == ["赵六"]  # the new primary replaced 王经理

    page = html.unescape(text(web.get(url, headers=EN)))
    edit_link = re.search(rf'href="(/customers/contacts/{zhao.id}/edit\?next=[^"]+)"',
                          page).group(1)
    edit = text(web.get(edit_link, headers=EN))
    assert edit.count("<html") == 1 and 'value="赵六"' in edit  # a whole page, filled in
    assert 'value="+861087654321"' in edit  # the phones as one text
    saved = web.post(f"/customers/contacts/{zhao.id}/edit", headers=EN, data={
        "customer_id": str(customer.id), "name": "钱小八", "title": "CFO", "phones": "",
        "email": "", "next": f"{url}#contacts"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{url}#contacts")
    session.expire_all()
    assert (zhao.name, zhao.title, zhao.phones, zhao.is_primary) == ("钱小八", "CFO", [], False)
    # the search index follows the contact's new name
    root = session.scalar(select(User).where(User.username == "root"))
    assert [c.id for c in search.search_customers(session, "钱小八", user=root)] == [customer.id]
    assert search.search_customers(session, "赵六", user=root) == []
    # the old address of the form leads to the new one, back to the customer
    old = web.get(f"{url}/contacts/{zhao.id}/edit")
    assert old.status_code == 301
    assert f"/customers/contacts/{zhao.id}/edit?next=" in old.headers["Location"]

    record = services.add_contact_record(session, customer.id, kind="call",
                                         contact_id=zhao.id)
    session.commit()
    page = text(web.get(url, headers=EN))
    assert "Delete the contact 钱小八? Their contact records stay." in page
    delete_url = html.unescape(re.search(
        rf'action="(/customers/contacts/{zhao.id}/delete\?next=[^"]+)"', page).group(1))
    zhao_id = zhao.id
    deleted = web.post(delete_url)
    assert deleted.status_code == 302
    assert deleted.headers["Location"].endswith(f"{url}#contacts")
    session.expire_all()
    assert session.get(Contact, zhao_id) is None
    assert session.get(ContactRecord, record.id).contact_id is None

    # a contact of another customer is not found through this one
    other = services.create_customer(session, name="Other")
    stranger = services.add_contact(session, other.id, "Stranger")
    session.commit()
    assert web.get(f"{url}/contacts/{stranger.id}/edit").status_code == 404


def test_a_record_with_a_follow_up_is_added_and_shown(web, session, customer):
    contact = session.scalar(select(Contact).where(Contact.name == "Li Lei"))
    follow_up = dt.date.today() + dt.timedelta(days=7)
    response = web.post(f"/customers/{customer.id}/records", headers=EN, data=fields(
        "new-record", kind="meeting", contact_id=str(contact.id), content="Demo of v2",
        occurred_at="2026-11-20T09:30", next_follow_up=follow_up.isoformat()))
    assert response.status_code == 302
    record = session.scalar(select(ContactRecord))
    assert (record.kind, record.contact_id, record.content, record.next_follow_up) == (
        "meeting", contact.id, "Demo of v2", follow_up)
    # typed in the user's zone (CRM_DEFAULT_TIMEZONE, Asia/Shanghai), stored in UTC
    assert record.occurred_at.replace(tzinfo=None) == dt.datetime(2026, 11, 20, 1, 30)
    page = text(web.get(f"/customers/{customer.id}", headers=EN))
    assert "Demo of v2" in page and "· Li Lei" in page and "2026-11-20 09:30" in page
    assert follow_up.isoformat() in page  # the follow-up card
    session.expire_all()
    assert session.get(Customer, customer.id).last_contact_at is not None

    bad = web.post(f"/customers/{customer.id}/records", headers=EN, data=fields(
        "new-record", kind="call", next_follow_up="someday"))
    assert bad.status_code == 400 and 'id="record-add"' in text(bad)


def test_only_the_author_edits_and_deletes_a_record(customers_app, session, customer):
    customers_app.config["WTF_CSRF_ENABLED"] = False
    team = create_department(session, "East").id
    session.commit()
    sally = add_staff(customers_app, session, "sally", ["sales"], team)
    sam = add_staff(customers_app, session, "sam", ["sales"], team)
    services.update_customer(session, customer.id, {"owner_id": sally.id,
                                                    "department_id": team})
    hers = services.add_contact_record(session, customer.id, kind="call", content="first",
                                       user_id=sally.id, occurred_at=NOW - dt.timedelta(hours=2))
    his = services.add_contact_record(session, customer.id, kind="call", content="by sam",
                                      user_id=sam.id, occurred_at=NOW - dt.timedelta(hours=1))
    session.commit()
    hers_id, his_id = hers.id, his.id
    as_sally = Browser(customers_app, sally)
    base = f"/customers/{customer.id}/records"
    page = text(as_sally.get(f"/customers/{customer.id}"))
    assert f'hx-get="{base}/{hers.id}/edit"' in page
    assert f"{base}/{his.id}/edit" not in page  # no buttons on someone else's record
    assert as_sally.post(f"{base}/{his.id}/edit", data=fields(
        f"record-{his_id}", kind="visit")).status_code == 403
    assert as_sally.post(f"{base}/{his.id}/delete").status_code == 403

    saved = as_sally.post(f"{base}/{hers.id}/edit", data=fields(
        f"record-{hers_id}", kind="visit", content="first, edited", occurred_at=""))
    assert saved.status_code == 302
    session.expire_all()
    assert (hers.kind, hers.content) == ("visit", "first, edited")

    assert as_sally.post(f"{base}/{his.id}/delete").status_code == 403
    assert as_sally.post(f"{base}/{hers.id}/delete").status_code == 302
    session.expire_all()
    assert session.get(ContactRecord, hers_id) is None
    assert session.get(ContactRecord, his_id) is not None


@pytest.mark.usefixtures("postgres_url")
def test_the_page_on_postgresql(crm_make_app):
    app = crm_make_app(plugins=["customers"], database="postgresql")
    app.config["WTF_CSRF_ENABLED"] = False
    app.extensions["crm"].pm.register(OrdersPlugin(), name="orders-test")
    root = create_test_user(app, "root", superuser=True)
    with app.test_request_context():
        from crm_core.db import get_session

        session = get_session()
        customer = services.create_customer(session, name="上海远景", phones="021-12345678")
        services.add_contact_record(session, customer.id, kind="call", content="PG call",
                                    occurred_at=NOW - dt.timedelta(days=2),
                                    # "today" where the reader is (Asia/Shanghai)
                                    next_follow_up=dt.datetime.now(SHANGHAI).date())
        session.commit()
        customer_id = customer.id
    client = login(app.test_client(), root)
    added = client.post("/customers/contacts", data={"customer_id": str(customer_id),
                                                     "name": "周七"})
    assert added.status_code == 302
    page = text(client.get(f"/customers/{customer_id}", headers=EN))
    assert "上海远景" in page and "周七" in page and "+862112345678" in page
    assert page.index("Order SO-1") < page.index("PG call") < page.index("Order SO-3")
    assert "Today" in page  # the follow-up is due


def test_the_pages_forms_carry_their_csrf_tokens(customers_app, session, customer):
    """With CSRF on (as in production): the add-contact form and a delete button of the page
    post with the tokens the page gave them, and a post without one is refused."""
    root = add_staff(customers_app, session, "root", superuser=True)
    browser = Browser(customers_app, root)
    page = html.unescape(text(browser.get(f"/customers/{customer.id}", headers=EN)))
    add_link = re.search(r'href="(/customers/contacts/new\?[^"]+)"', page).group(1)
    form = text(browser.get(add_link, headers=EN))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, "the add-contact form has no token"
    added = browser.post("/customers/contacts", data={
        "csrf_token": token.group(1), "customer_id": str(customer.id), "name": "孙九"})
    assert added.status_code == 302
    assert session.scalar(select(Contact).where(Contact.name == "孙九")) is not None
    button = re.search(r'action="(/customers/contacts/\d+/delete[^"]*)".*?'
                       r'name="csrf_token" value="([^"]+)"', page, re.S)
    assert browser.post(button.group(1)).status_code == 400  # no token
    assert browser.post(button.group(1), data={"csrf_token": button.group(2)}
                        ).status_code == 302
