"""The customer settings: customer types, tags and amount bands, each a kernel Resource list
(``/customers/types``, ``/customers/tags``, ``/customers/bands`` and their API) reached from
the "Customer settings" page. Values are added, renamed, reordered, recoloured and deleted
with clear field errors (in Chinese too), confirmations that say how many customers a
deletion touches, CSRF, and the permissions the roles had before."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crm_core.db import get_session
from crm_core.rbac.service import assign_roles
from crm_core.testing import DATABASES, create_test_user, login
from plugins.customers import services
from plugins.customers.classification import taxonomy
from plugins.customers.models import AmountBand, Customer, CustomerTag, CustomerType, Tag


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def signed_in(app, name: str, role: str):
    user = create_test_user(app, name)
    with app.app_context():
        session = get_session()
        assign_roles(session, user.id, [role])
        session.commit()
    client = login(app.test_client(), user)
    client.token = re.search(r'name="csrf-token" content="([^"]+)"',
                             client.get("/").get_data(as_text=True)).group(1)
    return client


@pytest.fixture(params=DATABASES)
def customers_app(request, crm_make_app):
    """The customers plugin alone, on SQLite and (with CRM_TEST_DATABASE_URL) PostgreSQL,
    without the default amount bands (the tests set their own)."""
    app = crm_make_app(plugins=["customers"], database=request.param)
    in_app(app, lambda s: [taxonomy.delete_band(s, b.id) for b in taxonomy.list_bands(s)])
    return app


@pytest.fixture
def admin(customers_app):
    """A client signed in as a user with the admin role (every permission)."""
    return signed_in(customers_app, "boss", "admin")


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


def names_listed(html: str, kind: str) -> list[str]:
    return re.findall(rf'href="/customers/{kind}/\d+">([^<]+)</a>', html)


def test_settings_page_links_the_lists_with_their_sizes_and_empty_states(admin):
    page = admin.get("/customers/settings")
    assert page.status_code == 200
    html = text(page)
    for label, url in (("Customer types", "/customers/types"), ("Tags", "/customers/tags"),
                       ("Amount bands", "/customers/bands")):
        assert label in html and f'href="{url}"' in html
    assert "Dashboard counts not computed yet" in html and "Refresh now" in html
    home = text(admin.get("/"))  # the sidebar: the settings with the three lists under it
    assert 'href="/customers/settings"' in home and 'href="/customers/tags"' in home
    assert "No customer types yet." in text(admin.get("/customers/types"))
    assert "No tags yet." in text(admin.get("/customers/tags"))
    assert "No amount bands yet." in text(admin.get("/customers/bands"))


def test_types_are_added_renamed_reordered_with_clear_errors(customers_app, admin):
    no_token = admin.post("/customers/types", data={"name": "Sneaky"})
    assert no_token.status_code == 400
    assert post(admin, "/customers/types", name="Key account").status_code == 302
    post(admin, "/customers/types", name="Distributor")
    post(admin, "/customers/types", name="Partner")

    duplicate = post(admin, "/customers/types", name="  Partner ")
    assert duplicate.status_code == 400
    assert "is-invalid" in text(duplicate)
    assert "The customer type Partner already exists." in text(duplicate)
    empty = post(admin, "/customers/types", name="")
    assert empty.status_code == 400 and "is-invalid" in text(empty)

    ids = in_app(customers_app, lambda s: {k.name: k.id for k in taxonomy.list_types(s)})
    taken = post(admin, f"/customers/types/{ids['Partner']}/edit", name="Distributor")
    assert taken.status_code == 400
    assert 'value="Distributor"' in text(taken)  # the user's input stays
    assert "already exists" in text(taken)
    renamed = post(admin, f"/customers/types/{ids['Partner']}/edit", name="经销商")
    assert renamed.status_code == 302

    moved = post(admin, f"/customers/types/{ids['Partner']}/move", direction="up")
    assert moved.status_code == 302
    post(admin, f"/customers/types/{ids['Key account']}/move", direction="down")
    order = in_app(customers_app, lambda s: [k.name for k in taxonomy.list_types(s)])
    assert order == ["经销商", "Key account", "Distributor"]  # and no "Sneaky"
    html = text(admin.get("/customers/types"))
    assert names_listed(html, "types") == ["经销商", "Key account", "Distributor"]
    assert 'title="Move up"' in html and "Order saved." in html


def test_a_refused_type_says_why_in_chinese(admin):
    post(admin, "/customers/types", name="重点客户")
    admin.set_cookie("crm_lang", "zh_CN")
    form = text(admin.get("/customers/types/new"))
    assert "新建" in form or "名称" in form
    duplicate = post(admin, "/customers/types", name="重点客户")
    assert duplicate.status_code == 400
    assert "客户类型“重点客户”已存在。" in text(duplicate)


def test_deleting_a_type_says_how_many_customers_use_it_and_keeps_them(customers_app, admin):
    def setup(session):
        kind = taxonomy.create_type(session, "Key account")
        for name in ("Alpha", "Bravo"):
            services.create_customer(session, name=name, customer_type_id=kind.id)
        return kind.id

    type_id = in_app(customers_app, setup)
    assert "2 customers" in text(admin.get("/customers/types"))  # the usage column
    confirm = text(admin.get(f"/customers/types/{type_id}/delete"))
    assert "Delete the type Key account? 2 customers use it and will have no type." in confirm

    deleted = post(admin, f"/customers/types/{type_id}/delete")
    assert deleted.status_code == 302
    assert "2 customers now have no type" in text(admin.get("/customers/types"))

    def check(session):
        assert session.get(CustomerType, type_id) is None
        return list(session.execute(select(Customer.name, Customer.customer_type_id)
                                    .order_by(Customer.name)))

    assert in_app(customers_app, check) == [("Alpha", None), ("Bravo", None)]
    assert post(admin, f"/customers/types/{type_id}/delete").status_code == 404


def test_tags_are_added_with_a_colour_renamed_recoloured_and_deleted(customers_app, admin):
    assert 'type="color"' in text(admin.get("/customers/tags/new"))
    added = post(admin, "/customers/tags", name="VIP", colour="#FF0000")
    assert added.status_code == 302
    bad = post(admin, "/customers/tags", name="Cold", colour="red")
    assert bad.status_code == 400
    assert "Choose the colour as #rrggbb" in text(bad) and 'value="Cold"' in text(bad)
    duplicate = post(admin, "/customers/tags", name="VIP", colour="#00ff00")
    assert duplicate.status_code == 400 and "The tag VIP already exists." in text(duplicate)

    def setup(session):
        tag = session.scalar(select(Tag).where(Tag.name == "VIP"))
        assert tag.colour == "#ff0000"
        alpha = services.create_customer(session, name="Alpha")
        services.add_tag(session, alpha.id, tag.id)
        return tag.id

    tag_id = in_app(customers_app, setup)
    page = text(admin.get("/customers/tags"))
    assert 'data-colour="#ff0000"' in page and 'fill="#ff0000"' in page  # the swatch
    assert "1 customer" in page
    confirm = text(admin.get(f"/customers/tags/{tag_id}/delete"))
    assert "Delete the tag VIP? It will be taken off 1 customer." in confirm

    saved = post(admin, f"/customers/tags/{tag_id}/edit", name="重要客户", colour="#0d6efd")
    assert saved.status_code == 302
    assert in_app(customers_app, lambda s: (s.get(Tag, tag_id).name, s.get(Tag, tag_id).colour)
                  ) == ("重要客户", "#0d6efd")
    wrong = post(admin, f"/customers/tags/{tag_id}/edit", name="重要客户", colour="#12")
    assert wrong.status_code == 400 and "is-invalid" in text(wrong)

    assert post(admin, f"/customers/tags/{tag_id}/delete").status_code == 302
    assert "Tag deleted and taken off 1 customer." in text(admin.get("/customers/tags"))
    assert in_app(customers_app, lambda s: s.scalars(select(CustomerTag)).all()) == []


def test_amount_bands_show_their_ranges_and_refuse_duplicates(customers_app, admin):
    for name, threshold in [("Large", "100,000"), ("Small", "0"), ("Medium", "10000")]:
        assert post(admin, "/customers/bands", name=name,
                    min_amount=threshold).status_code == 302
    html = text(admin.get("/customers/bands"))
    assert ("0 – 10,000" in html and "10,000 – 100,000" in html and "≥ 100,000" in html)
    assert names_listed(html, "bands") == ["Small", "Medium", "Large"]

    same = post(admin, "/customers/bands", name="Mid", min_amount="10000.00")
    assert same.status_code == 400
    assert "The band Medium already starts at 10,000." in text(same)
    for threshold, message in [("ten", "is not an amount"), ("-5", "zero or more"),
                               ("1.234", "at most two decimals"), ("", "Enter the amount")]:
        response = post(admin, "/customers/bands", name="Odd", min_amount=threshold)
        assert response.status_code == 400 and message in text(response), threshold
    taken = post(admin, "/customers/bands", name="Small", min_amount="5")
    assert taken.status_code == 400 and "The band Small already exists." in text(taken)

    bands = in_app(customers_app, lambda s: {b.name: b.id for b in taxonomy.list_bands(s)})
    edit = text(admin.get(f"/customers/bands/{bands['Medium']}/edit"))
    assert 'value="10000"' in edit  # in yuan, as typed
    moved = post(admin, f"/customers/bands/{bands['Medium']}/edit", name="Medium",
                 min_amount="20000.50")
    assert moved.status_code == 302
    assert "20,000.50 – 100,000" in text(admin.get("/customers/bands"))
    confirm = text(admin.get(f"/customers/bands/{bands['Small']}/delete"))
    assert "Its customers will count in the band below it." in confirm
    assert post(admin, f"/customers/bands/{bands['Small']}/delete").status_code == 302
    html = text(admin.get("/customers/bands"))
    assert "Amount band deleted." in html
    assert "Customers below 20,000.50 are in no band." in html
    assert in_app(customers_app, lambda s: sorted(b.min_amount for b in
                                                  s.scalars(select(AmountBand)))) == [
        2000050, 10000000]


def test_the_api_lists_adds_changes_and_deletes_through_the_same_rules(customers_app, admin):
    api = "/api/v1/customers"
    headers = {"X-CSRFToken": admin.token}
    added = admin.post(f"{api}/tags", json={"name": "VIP", "colour": "#FF0000"},
                       headers=headers)
    assert added.status_code == 201 and added.get_json()["colour"] == "#ff0000"
    refused = admin.post(f"{api}/tags", json={"name": "VIP", "colour": "#00ff00"},
                         headers=headers)
    assert refused.status_code in (400, 409, 422)
    assert "already exists" in refused.get_data(as_text=True)
    assert admin.post(f"{api}/tags", json={"name": "Cold", "colour": "red"},
                      headers=headers).status_code == 422

    band = admin.post(f"{api}/bands", json={"name": "Big", "min_amount": 10_000_000},
                      headers=headers)
    assert band.status_code == 201 and band.get_json()["min_amount"] == 10_000_000
    kind = admin.post(f"{api}/types", json={"name": "Key account"}, headers=headers)
    assert kind.status_code == 201
    kind_id = kind.get_json()["id"]
    renamed = admin.patch(f"{api}/types/{kind_id}", json={"name": "大客户"}, headers=headers)
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "大客户"
    assert [item["name"] for item in admin.get(f"{api}/types").get_json()["items"]] == ["大客户"]
    assert admin.delete(f"{api}/types/{kind_id}", headers=headers).status_code == 204
    assert admin.get(f"{api}/types/{kind_id}").status_code == 404


def test_only_managers_of_types_and_tags_reach_the_settings(customers_app):
    client = signed_in(customers_app, "sally", "manager")
    home = text(client.get("/"))
    assert 'href="/customers/settings"' not in home and 'href="/customers/tags"' not in home
    assert client.get("/customers/settings").status_code == 403
    assert client.get("/customers/tags").status_code == 403
    assert client.get("/api/v1/customers/types").status_code == 403
    assert post(client, "/customers/tags", name="x").status_code == 403
    assert post(client, "/customers/types", name="x").status_code == 403
    assert post(client, "/customers/bands/1/delete").status_code == 403
    assert post(client, "/customers/types/1/move", direction="up").status_code == 403
    assert post(client, "/customers/settings/refresh").status_code == 403
    assert in_app(customers_app, lambda s: s.scalars(select(Tag)).all()) == []
