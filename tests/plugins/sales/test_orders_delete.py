"""``DELETE /api/v1/sales/orders/<order_id>``: a draft goes (204, gone from reads, in the
operation log); a live order is a 409 problem saying to cancel it first; a rep without the
delete permission is refused (403), another department's manager finds nothing (404)."""

from __future__ import annotations

import json

import pytest

from crm_core.testing import client_as

LINE = {"quantity": "2", "unit_price": "10", "tax_rate": "13"}


@pytest.fixture(scope="module")
def world(sales_app, make_sales_records):
    """West's rep and manager (API), East's manager, a West customer and product."""
    rep = client_as(sales_app, "sales", department="删单西区", api=True)
    manager = client_as(sales_app, "manager", department="删单西区", api=True)
    stranger = client_as(sales_app, "manager", department="删单东区", api=True)
    ids = make_sales_records(sales_app, rep.user, name="删单客户", sku="DELETE-1")
    return {"rep": rep, "manager": manager, "stranger": stranger, **ids}


def _draft(world) -> dict:
    made = world["rep"].post("/api/v1/sales/orders", json={
        "customer_id": world["customer_id"],
        "lines": [{"product_id": world["product_id"], **LINE}]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def test_a_draft_is_deleted_and_the_operation_log_says_who(sales_app, world):
    from sqlalchemy import select

    from crm_core.audit.models import AuditEntry

    order = _draft(world)
    url = f"/api/v1/sales/orders/{order['id']}"
    answer = world["manager"].delete(url)
    assert answer.status_code == 204
    assert world["manager"].get(url).status_code == 404
    listed = world["manager"].get("/api/v1/sales/orders").get_json()["items"]
    assert order["id"] not in [item["id"] for item in listed]
    assert world["manager"].delete(url).status_code == 404
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.model == "sales_order", AuditEntry.record_id == str(order["id"]),
            AuditEntry.action == "update")).all()
        session.close()
    assert any(entry.user_id == world["manager"].user.id
               and "deleted_at" in json.loads(entry.changes) for entry in entries)


def test_a_confirmed_order_is_a_409_problem_saying_to_cancel_it_first(world):
    order = _draft(world)
    url = f"/api/v1/sales/orders/{order['id']}"
    assert world["rep"].post(f"{url}/confirm").status_code == 200
    answer = world["manager"].delete(url)
    assert answer.status_code == 409
    assert answer.mimetype == "application/problem+json"
    assert "cancel order" in answer.get_json()["detail"]
    assert order["number"] in answer.get_json()["detail"]
    assert world["manager"].get(url).get_json()["status"] == "confirmed"


def test_without_the_permission_or_outside_the_scope_nothing_is_deleted(world):
    order = _draft(world)
    url = f"/api/v1/sales/orders/{order['id']}"
    assert world["rep"].delete(url).status_code == 403  # a rep may not delete orders
    assert world["stranger"].delete(url).status_code == 404
    assert world["rep"].get(url).get_json()["status"] == "draft"
