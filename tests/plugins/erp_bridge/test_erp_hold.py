"""Holding a connection and per-connection sync settings.

A held connection sends nothing: a confirmed order waits in the outbox, the connection page,
the sync log and ``crm erp status`` say it is held, ``crm erp sync`` refuses it; released,
the order reaches the ERP once. Each connection may have its own direction per object (one
ERP gets customers, the other not) and follows the install's settings again when they are
dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fake_odoo import FakeOdoo
from sqlalchemy import delete, select

from crm_core.db import get_session
from crm_core.outbox.delivery import drain
from crm_core.outbox.models import OutboxMessage
from crm_core.testing import invoke_cli
from crm_core.testing_clients import client_as, csrf_token_of
from crm_core.toolkit import system_context
from plugins.customers import services as customers
from plugins.erp_bridge.connections.services import save_connection
from plugins.erp_bridge.models import ErpConnection
from plugins.erp_bridge.sync.settings import object_settings
from plugins.sales import services as sales


def _connect(app, name: str, fake: FakeOdoo) -> None:
    with app.app_context():
        save_connection(get_session(), {"name": name, "kind": "odoo", "url": fake.url,
                                        "database": fake.database, "login": fake.login,
                                        "secret": fake.api_key})
        get_session().commit()


@pytest.fixture
def two(erp_app) -> Iterator[tuple[FakeOdoo, FakeOdoo]]:
    with FakeOdoo(version=19) as first, FakeOdoo(version=17) as second:
        with erp_app.app_context():
            get_session().execute(delete(ErpConnection))
            get_session().execute(delete(OutboxMessage))
            get_session().commit()
        _connect(erp_app, "erp-a", first)
        _connect(erp_app, "erp-b", second)
        yield first, second
        with erp_app.app_context():  # the install's settings only, for the next tests
            from plugins.erp_bridge.sync.settings import forget_object_settings
            for obj in ("customers", "orders"):
                forget_object_settings(get_session(), obj, "erp-b")
            get_session().commit()


def test_a_held_connection_keeps_its_messages_until_released(erp_app, two) -> None:
    first, _second = two
    admin = client_as(erp_app, "admin")
    token = csrf_token_of(admin, "/erp/connections/erp-a")
    assert admin.post("/erp/connections/erp-a/hold", data={}).status_code == 400  # no CSRF
    assert admin.post("/erp/connections/erp-a/hold",
                      data={"csrf_token": token}).status_code == 302
    page = admin.get("/erp/connections/erp-a").get_data(as_text=True)
    assert "Held since" in page and "/erp/connections/erp-a/release" in page
    assert "Held" in admin.get("/erp/sync/log").get_data(as_text=True)
    status = json.loads(invoke_cli(erp_app, "erp", "status", "--json").output)
    assert {row["name"]: row["held"] for row in status["connections"]} == {
        "erp-a": True, "erp-b": False}
    assert "held since" in invoke_cli(erp_app, "erp", "status").output
    refused = invoke_cli(erp_app, "erp", "sync", "--object", "orders", "--connection", "erp-a")
    assert refused.exit_code == 2 and "held" in refused.output

    with erp_app.app_context(), system_context("test"):
        session = get_session()
        customer = customers.create_customer(session, name="暂停客户")
        order = sales.create_order(session, customer.id, [
            {"description": "阀门", "quantity": "1", "unit_price": "9"}], None)
        sales.confirm_order(session, order)
        session.commit()
        drain()
        assert not first.store.records["sale.order"]
        assert session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.channel == "erp.odoo")) is not None
    order_page = admin.get(f"/sales/orders/{order.id}").get_data(as_text=True)
    assert "Held: the connection is paused" in order_page

    assert admin.post("/erp/connections/erp-a/release",
                      data={"csrf_token": token}).status_code == 302
    assert invoke_cli(erp_app, "erp", "hold", "erp-a").exit_code == 0
    assert invoke_cli(erp_app, "erp", "release", "erp-a").exit_code == 0
    with erp_app.app_context():
        drain()
    assert first.store.refs("sale.order", "client_order_ref")[f"crm-order-{order.id}"] == 1
    assert client_as(erp_app, "manager").post(
        "/erp/connections/erp-a/hold", data={"csrf_token": token}).status_code in (400, 403)


def test_each_connection_may_have_its_own_direction(erp_app, two) -> None:
    first, second = two
    admin = client_as(erp_app, "admin")
    page = admin.get("/erp/sync/?connection=erp-b").get_data(as_text=True)
    assert "Follows every connection" in page
    assert admin.get("/erp/sync/?connection=nowhere").status_code == 404
    token = csrf_token_of(admin, "/erp/sync/?connection=erp-b")
    saved = admin.post("/erp/sync/customers?connection=erp-b", data={
        "customers-csrf_token": token, "customers-direction": "off",
        "customers-policy": "crm", "customers-fields": ""})
    assert saved.status_code == 302
    with erp_app.app_context():
        assert object_settings("customers", "erp-b").direction == "off"
        assert object_settings("customers", "erp-a").direction == "push"
        assert object_settings("customers").direction == "push"
        customer = customers.create_customer(get_session(), name="只去A的客户")
        get_session().commit()
        drain()
    ref = f"crm-customer-{customer.id}"
    assert first.store.refs("res.partner").get(ref) == 1
    assert not second.store.refs("res.partner").get(ref)

    assert "Its own settings" in admin.get("/erp/sync/?connection=erp-b").get_data(as_text=True)
    assert admin.post("/erp/sync/customers/reset?connection=erp-b",
                      data={"csrf_token": token}).status_code == 302
    with erp_app.app_context():
        assert object_settings("customers", "erp-b").direction == "push"
