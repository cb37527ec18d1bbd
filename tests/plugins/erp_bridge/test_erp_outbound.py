"""Outbound from events: a customer saved or an order confirmed in the CRM queues its push in
the same transaction, and after the commit it is on the fake Odoo once, the order with its
lines and confirmed; a rolled-back save queues nothing; a direction set to "off" pushes
nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_odoo import FakeOdoo
from sqlalchemy import delete, select

from crm_core.db import get_session
from crm_core.outbox.delivery import drain
from crm_core.outbox.models import OutboxMessage
from crm_core.testing import invoke_cli
from crm_core.toolkit import system_context
from plugins.customers import services as customers
from plugins.erp_bridge.connections.services import save_connection
from plugins.erp_bridge.models import ErpConnection, ErpExternalId
from plugins.erp_bridge.sync.settings import save_object_settings
from plugins.sales import services as sales


@pytest.fixture
def odoo(erp_app) -> Iterator[FakeOdoo]:
    fake = FakeOdoo(version=19).start()
    with erp_app.app_context():
        session = get_session()
        session.execute(delete(ErpConnection))  # earlier tests' connections, fakes gone
        session.execute(delete(OutboxMessage))
        save_connection(session, {"name": "odoo", "kind": "odoo", "url": fake.url,
                                  "database": fake.database, "login": fake.login,
                                  "secret": fake.api_key})
        session.commit()
    yield fake
    fake.stop()


def partners(fake: FakeOdoo) -> dict[str, dict]:
    return {row["ref"]: row for row in fake.store.records["res.partner"].values()}


def test_a_saved_customer_reaches_odoo_once_and_its_change_follows(erp_app, odoo) -> None:
    with erp_app.app_context():
        session = get_session()
        customer = customers.create_customer(session, name="华东机械", phones=["13800138000"],
                                             city="上海")
        session.commit()
        ref = f"crm-customer-{customer.id}"
        drain()
        assert partners(odoo)[ref]["name"] == "华东机械"
        assert partners(odoo)[ref]["phone"] == "+8613800138000"
        customers.update_customer(session, customer.id, {"name": "华东机械有限公司"})
        session.commit()
        customers.update_customer(session, customer.id, {"level": "A"})  # not mapped
        session.commit()
        assert drain().as_dict()["delivered"] == 1
        assert partners(odoo)[ref]["name"] == "华东机械有限公司"
        assert odoo.store.refs("res.partner")[ref] == 1

        customers.create_customer(session, name="回滚的客户")
        session.rollback()
        assert session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.payload["values"]["name"].as_string() == "回滚的客户")) is None


def test_a_confirmed_order_is_pushed_with_lines_and_confirmed(erp_app, odoo) -> None:
    with erp_app.app_context(), system_context("test"):
        session = get_session()
        customer = customers.create_customer(session, name="西南贸易")
        order = sales.create_order(session, customer.id, [
            {"description": "打印纸", "quantity": "3", "unit_price": "19.99"},
            {"description": "墨盒", "quantity": "1.5", "unit_price": "100"}], None)
        session.commit()
        drain()
        assert not odoo.store.records["sale.order"]  # a draft order stays in the CRM
        sales.confirm_order(session, order)
        session.commit()
        drain()
        [erp_order] = odoo.store.records["sale.order"].values()
        assert erp_order["state"] == "sale"
        assert erp_order["client_order_ref"] == f"crm-order-{order.id}"
        assert erp_order["partner_id"] == partners(odoo)[f"crm-customer-{customer.id}"]["id"]
        lines = [odoo.store.records["sale.order.line"][i] for i in erp_order["order_line"]]
        assert [(line["name"], line["product_uom_qty"], line["price_unit"])
                for line in lines] == [("打印纸", 3.0, 19.99), ("墨盒", 1.5, 100.0)]
        number = session.scalar(select(ErpExternalId.erp_number).where(
            ErpExternalId.object == "order", ErpExternalId.crm_id == order.id))
        assert number == erp_order["name"]


def test_a_direction_set_to_off_pushes_nothing(erp_app, odoo) -> None:
    with erp_app.app_context():
        session = get_session()
        save_object_settings(session, "customers", "off", "crm")
        session.commit()
        try:
            customers.create_customer(session, name="不同步的客户")
            session.commit()
            assert drain().as_dict()["delivered"] == 0
            assert not odoo.store.records["res.partner"]
            refused = invoke_cli(erp_app, "erp", "sync", "--object", "customers")
            assert refused.exit_code == 2 and "direction is off" in refused.output
        finally:
            save_object_settings(session, "customers", "push", "crm")
            session.commit()
