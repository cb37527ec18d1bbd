"""The "Customer settings" page: customer types, tags and amount bands added, renamed,
reordered, recoloured and deleted, with clear field errors, confirmations that say how many
customers a deletion touches, CSRF, and permissions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crm_core.db import get_session
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, login
from plugins.customers import services, taxonomy
from plugins.customers.models import AmountBand, Customer, CustomerTag, CustomerType, Tag


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def admin(customers_app):
    """A client signed in as a user with the admin role (every permission)."""
    user = create_test_user(customers_app, "boss")
    with customers_app.app_context():
        session = get_session()
        assign_roles(session, user.id, ["admin"])
        session.commit()
    client = login(customers_app.test_client(), user)
    client.token = csrf_token(client.get("/customers/settings").get_data(as_text=True))
    return client


def post(client, url, **data):
    return client.post(url, data={"csrf_token": client.token, **data})


def in_app(app, work):
    """Run ``work(session)`` in an app context and commit."""
    with app.test_request_context():
        session = get_session()
        result = work(session)
        session.commit()
        return result


def text(response) -> str:
    return response.get_data(as_text=True)


def test_settings_page_shows_tabs_empty_states_and_the_menu_item(admin):
    page = admin.get("/customers/settings")
    assert page.status_code == 200
    html = text(page)
    for tab in ("Customer types", "Tags", "Amount bands"):
        assert tab in html
    assert "No customer types yet." in html
    assert 'href="/customers/settings"' in text(admin.get("/"))  # the sidebar
    assert "No tags yet." in text(admin.get("/customers/settings?tab=tags"))
    assert "No amount bands yet." in text(admin.get("/customers/settings?tab=bands"))
    assert "Dashboard counts not computed yet" in html


def test_types_are_added_renamed_reordered_with_clear_errors(customers_app, admin):
    no_token = admin.post("/customers/settings/types", data={"name": "Sneaky"})
    assert no_token.status_code == 400
    assert post(admin, "/customers/settings/types", name="Key account").status_code == 302
    post(admin, "/customers/settings/types", name="Distributor")
    post(admin, "/customers/settings/types", name="Partner")

    duplicate = post(admin, "/customers/settings/types", name="  Partner ")
    assert duplicate.status_code == 400
    assert "is-invalid" in text(duplicate)
    assert "The customer type Partner already exists." in text(duplicate)
    empty = post(admin, "/customers/settings/types", name="")
    assert empty.status_code == 400 and "A customer type needs a name" in text(empty)

    ids = in_app(customers_app, lambda s: {k.name: k.id for k in taxonomy.list_types(s)})
    taken = post(admin, f"/customers/settings/types/{ids['Partner']}", name="Distributor")
    assert taken.status_code == 400
    assert 'value="Distributor"' in text(taken)  # the user's input stays
    assert "already exists" in text(taken)
    renamed = post(admin, f"/customers/settings/types/{ids['Partner']}", name="经销商")
    assert renamed.status_code == 302

    post(admin, f"/customers/settings/types/{ids['Partner']}/move", direction="up")
    post(admin, f"/customers/settings/types/{ids['Key account']}/move", direction="down")
    order = in_app(customers_app, lambda s: [k.name for k in taxonomy.list_types(s)])
    assert order == ["经销商", "Key account", "Distributor"]  # and no "Sneaky"
    html = text(admin.get("/customers/settings"))
    assert html.index('value="经销商"') < html.index('value="Key account"') < html.index(
        'value="Distributor"')


def test_deleting_a_type_says_how_many_customers_use_it_and_keeps_them(customers_app, admin):
    def setup(session):
        kind = taxonomy.create_type(session, "Key account")
        for name in ("Alpha", "Bravo"):
            services.create_customer(session, name=name, customer_type_id=kind.id)
        return kind.id

    type_id = in_app(customers_app, setup)
    html = text(admin.get("/customers/settings"))
    assert "Delete the type Key account? 2 customers use it and will have no type." in html
    assert "2 customers" in html

    deleted = post(admin, f"/customers/settings/types/{type_id}/delete")
    assert deleted.status_code == 302
    assert "2 customers now have no type" in text(admin.get("/customers/settings"))

    def check(session):
        assert session.get(CustomerType, type_id) is None
        return list(session.execute(select(Customer.name, Customer.customer_type_id)
                                    .order_by(Customer.name)))

    assert in_app(customers_app, check) == [("Alpha", None), ("Bravo", None)]
    assert post(admin, f"/customers/settings/types/{type_id}/delete").status_code == 404


def test_tags_are_added_with_a_colour_renamed_recoloured_and_deleted(customers_app, admin):
    added = post(admin, "/customers/settings/tags", name="VIP", colour="#FF0000")
    assert added.status_code == 302
    bad = post(admin, "/customers/settings/tags", name="Cold", colour="red")
    assert bad.status_code == 400
    assert "Choose the colour as #rrggbb" in text(bad) and 'value="Cold"' in text(bad)
    duplicate = post(admin, "/customers/settings/tags", name="VIP", colour="#00ff00")
    assert duplicate.status_code == 400 and "The tag VIP already exists." in text(duplicate)

    def setup(session):
        tag = session.scalar(select(Tag).where(Tag.name == "VIP"))
        assert tag.colour == "#ff0000"
        alpha = services.create_customer(session, name="Alpha")
        services.add_tag(session, alpha.id, tag.id)
        return tag.id

    tag_id = in_app(customers_app, setup)
    page = text(admin.get("/customers/settings?tab=tags"))
    assert 'type="color"' in page and 'data-colour="#ff0000"' in page
    assert "Delete the tag VIP? It will be taken off 1 customer." in page

    saved = post(admin, f"/customers/settings/tags/{tag_id}", name="重要客户", colour="#0d6efd")
    assert saved.status_code == 302
    assert in_app(customers_app, lambda s: (s.get(Tag, tag_id).name, s.get(Tag, tag_id).colour)
                  ) == ("重要客户", "#0d6efd")
    wrong = post(admin, f"/customers/settings/tags/{tag_id}", name="重要客户", colour="#12")
    assert wrong.status_code == 400 and "is-invalid" in text(wrong)

    assert post(admin, f"/customers/settings/tags/{tag_id}/delete").status_code == 302
    assert "Tag deleted and taken off 1 customer." in text(
        admin.get("/customers/settings?tab=tags"))
    assert in_app(customers_app, lambda s: s.scalars(select(CustomerTag)).all()) == []


def test_amount_bands_show_their_ranges_and_refuse_duplicates(customers_app, admin):
    for name, threshold in [("Large", "100,000"), ("Small", "0"), ("Medium", "10000")]:
        assert post(admin, "/customers/settings/bands", name=name,
                    threshold=threshold).status_code == 302
    html = text(admin.get("/customers/settings?tab=bands"))
    assert ("0 – 10,000" in html and "10,000 – 100,000" in html and "≥ 100,000" in html)
    assert html.index('value="Small"') < html.index('value="Medium"') < html.index(
        'value="Large"')

    same = post(admin, "/customers/settings/bands", name="Mid", threshold="10000.00")
    assert same.status_code == 400
    assert "The band Medium already starts at 10,000." in text(same)
    for threshold, message in [("ten", "is not an amount"), ("-5", "zero or more"),
                               ("1.234", "at most two decimals"), ("", "Enter the amount")]:
        response = post(admin, "/customers/settings/bands", name="Odd", threshold=threshold)
        assert response.status_code == 400 and message in text(response), threshold
    taken = post(admin, "/customers/settings/bands", name="Small", threshold="5")
    assert taken.status_code == 400 and "The band Small already exists." in text(taken)

    bands = in_app(customers_app, lambda s: {b.name: b.id for b in taxonomy.list_bands(s)})
    moved = post(admin, f"/customers/settings/bands/{bands['Medium']}", name="Medium",
                 threshold="20000.50")
    assert moved.status_code == 302
    assert "20,000.50 – 100,000" in text(admin.get("/customers/settings?tab=bands"))
    assert post(admin, f"/customers/settings/bands/{bands['Small']}/delete").status_code == 302
    html = text(admin.get("/customers/settings?tab=bands"))
    assert "Customers below 20,000.50 are in no band." in html
    assert in_app(customers_app, lambda s: sorted(b.min_amount for b in
                                                  s.scalars(select(AmountBand)))) == [
        2000050, 10000000]


def test_only_managers_of_types_and_tags_reach_the_settings(customers_app):
    user = create_test_user(customers_app, "sally")
    with customers_app.app_context():
        session = get_session()
        assign_roles(session, user.id, ["manager"])
        session.commit()
    client = login(customers_app.test_client(), user)
    home = text(client.get("/"))
    assert 'href="/customers/settings"' not in home
    client.token = re.search(r'name="csrf-token" content="([^"]+)"', home).group(1)
    assert client.get("/customers/settings").status_code == 403
    assert post(client, "/customers/settings/tags", name="x").status_code == 403
    assert post(client, "/customers/settings/types", name="x").status_code == 403
    assert post(client, "/customers/settings/bands/1/delete").status_code == 403
    assert post(client, "/customers/settings/refresh").status_code == 403
    assert in_app(customers_app, lambda s: s.scalars(select(Tag)).all()) == []
