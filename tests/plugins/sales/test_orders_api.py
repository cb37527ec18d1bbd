"""The orders API as the issue's checks use it: the awkward line answered byte for byte, the
state rules (409 problem+json), refused lines named by their place, keyset pages, and a
salesperson of another department reaching none of the orders by any route."""

from __future__ import annotations

import re

import pytest

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.testing import create_test_user

AWKWARD = {"product_id": None, "quantity": "3", "unit_price": "19.99",
           "discount_percent": "7.5", "tax_rate": "13"}


def _token(app, user_id):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        _row, plain = create_token(session, session.get(User, user_id), "test")
        session.commit()
        session.close()
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture(scope="module")
def world(sales_app):
    """A rep in West and one in East, a customer each, a product (¥19.99, 13 %)."""
    from plugins.customers.services import create_customer
    from plugins.sales.models import Product

    west = create_test_user(sales_app, "s2-api-west", roles=("sales",),
                            department="S2 API West")
    east = create_test_user(sales_app, "s2-api-east", roles=("sales",),
                            department="S2 API East")
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        west_customer = create_customer(session, name="西区客户 S2", owner_id=west.id)
        east_customer = create_customer(session, name="东区客户 S2", owner_id=east.id)
        product = Product(sku="S2-API-1", name="办公椅", unit="把", list_price=1999,
                          tax_rate=1300)
        session.add(product)
        session.commit()
        ids = {"west_customer": west_customer.id, "east_customer": east_customer.id,
               "product": product.id}
        session.close()
    return {**ids, "west": _token(sales_app, west.id), "east": _token(sales_app, east.id)}


def _order(client, world, token="west", **line):
    body = {"customer_id": world["west_customer"] if token == "west"
            else world["east_customer"],
            "lines": [{**AWKWARD, "product_id": world["product"], **line}]}
    return client.post("/api/v1/sales/orders", json=body, headers=world[token])


def test_the_awkward_line_answers_the_issues_amounts_and_words(sales_app, world):
    response = _order(sales_app.test_client(), world)
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["status"] == "draft"
    assert re.fullmatch(r"SO\d{6}-\d{4}", order["number"])
    assert (order["untaxed_amount"], order["tax_amount"], order["total_amount"]) == \
        ("55.47", "7.21", "62.68")
    assert order["total_in_words"] == "陆拾贰元陆角捌分"
    [line] = order["lines"]
    assert (line["subtotal"], line["tax"], line["total"]) == ("55.47", "7.21", "62.68")
    assert (line["quantity"], line["unit_price"], line["discount_percent"],
            line["tax_rate"]) == ("3", "19.99", "7.5", "13")
    again = sales_app.test_client().get(f"/api/v1/sales/orders/{order['id']}",
                                        headers=world["west"])
    assert again.get_json()["total_amount"] == "62.68"
    second = _order(sales_app.test_client(), world).get_json()
    assert second["number"] != order["number"]


def test_states_follow_the_rules_and_a_refusal_is_a_409_problem(sales_app, world):
    client = sales_app.test_client()
    order = _order(client, world).get_json()
    base = f"/api/v1/sales/orders/{order['id']}"
    refused = client.post(f"{base}/deliver", headers=world["west"])
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    assert order["number"] in refused.get_json()["detail"]
    confirmed = client.post(f"{base}/confirm", headers=world["west"])
    assert confirmed.status_code == 200
    assert confirmed.get_json()["status"] == "confirmed"
    assert client.post(f"{base}/confirm", headers=world["west"]).status_code == 409
    changed = client.patch(base, json={"notes": "改"}, headers=world["west"])
    assert changed.status_code == 409
    assert client.post(f"{base}/deliver", headers=world["west"]).get_json()["status"] == \
        "delivered"
    assert client.post(f"{base}/cancel", headers=world["west"]).status_code == 409
    assert client.post(f"{base}/complete", headers=world["west"]).get_json()["status"] == \
        "completed"


def test_a_draft_changes_and_cancels_and_a_stale_version_is_refused(sales_app, world):
    client = sales_app.test_client()
    order = _order(client, world).get_json()
    base = f"/api/v1/sales/orders/{order['id']}"
    changed = client.patch(base, json={"lines": [{**AWKWARD, "product_id": world["product"],
                                                  "quantity": "6"}],
                                       "version": order["version"]}, headers=world["west"])
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["total_amount"] == "125.36"
    stale = client.patch(base, json={"notes": "旧", "version": order["version"]},
                         headers=world["west"])
    assert stale.status_code == 409
    cancelled = client.post(f"{base}/cancel", headers=world["west"])
    assert cancelled.get_json()["status"] == "cancelled"


@pytest.mark.parametrize(("line", "field"), [
    ({"product_id": 999_999}, "lines[0].product_id"),
    ({"quantity": "-1"}, "lines[0].quantity"),
    ({"quantity": "0"}, "lines[0].quantity"),
    ({"discount_percent": "100.01"}, "lines[0].discount_percent"),
    ({"unit_price": "-5"}, "lines[0].unit_price"),
    ({"unit_price": "1.999"}, "lines[0].unit_price"),
    ({"tax_rate": "abc"}, "lines[0].tax_rate"),
])
def test_a_bad_line_is_a_422_naming_its_place(sales_app, world, line, field):
    response = _order(sales_app.test_client(), world, **line)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_more_than_500_lines_or_none_are_refused(sales_app, world):
    client = sales_app.test_client()
    line = {**AWKWARD, "product_id": world["product"]}
    for lines in ([line] * 501, []):
        response = client.post("/api/v1/sales/orders", headers=world["west"], json={
            "customer_id": world["west_customer"], "lines": lines})
        assert response.status_code == 422
        assert "lines" in response.get_json()["errors"]


def test_another_departments_order_is_404_on_every_route(sales_app, world):
    client = sales_app.test_client()
    order = _order(client, world).get_json()
    base = f"/api/v1/sales/orders/{order['id']}"
    east = world["east"]
    assert client.get(base, headers=east).status_code == 404
    assert client.patch(base, json={"notes": "x"}, headers=east).status_code == 404
    for action in ("confirm", "deliver", "complete", "cancel"):
        assert client.post(f"{base}/{action}", headers=east).status_code == 404
    listed = client.get("/api/v1/sales/orders?limit=200", headers=east).get_json()
    assert order["id"] not in [item["id"] for item in listed["items"]]
    theirs = client.post("/api/v1/sales/orders", headers=east, json={
        "customer_id": world["west_customer"],
        "lines": [{**AWKWARD, "product_id": world["product"]}]})
    assert theirs.status_code == 422
    assert "customer_id" in theirs.get_json()["errors"]


def test_the_list_walks_pages_by_cursor_with_lines_inline(sales_app, world):
    client = sales_app.test_client()
    made = {_order(client, world, token="east").get_json()["id"] for _ in range(3)}
    seen, cursor = [], None
    while True:
        url = "/api/v1/sales/orders?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=world["east"]).get_json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert made <= {item["id"] for item in seen}
    assert all(item["lines"] and item["lines"][0]["total"] == "62.68" for item in seen)
    drafts = client.get("/api/v1/sales/orders?status=confirmed", headers=world["east"])
    assert drafts.get_json()["items"] == []


def test_an_order_and_its_confirmation_are_in_the_operation_log(sales_app, world):
    from sqlalchemy import select

    from crm_core.audit.models import AuditEntry

    client = sales_app.test_client()
    order = _order(client, world).get_json()
    client.post(f"/api/v1/sales/orders/{order['id']}/confirm", headers=world["west"])
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        entries = session.execute(select(AuditEntry.model, AuditEntry.action,
                                         AuditEntry.changes, AuditEntry.username)
                                  .where(AuditEntry.record_id == str(order["id"]),
                                         AuditEntry.model.like("%Order"))).all()
        session.close()
    assert any('"confirmed"' in changes and who == "s2-api-west"
               for _model, _action, changes, who in entries), entries
    assert len(entries) >= 2
