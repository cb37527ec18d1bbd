"""The order page shows its ERP number and sync state (sales' ``crm_sales_order_panels``):
waiting before the push, the ERP's number once Odoo confirmed it, the ERP's message when it
refused the order; the way to the sync log only for those who manage connections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_odoo import FakeOdoo
from sqlalchemy import delete, select

from crm_core.db import get_session
from crm_core.outbox.delivery import drain
from crm_core.outbox.models import OutboxMessage
from crm_core.testing_clients import client_as
from crm_core.toolkit import system_context
from plugins.customers import services as customers
from plugins.erp_bridge.connections.services import save_connection
from plugins.erp_bridge.models import ErpConnection, ErpExternalId
from plugins.sales import services as sales


@pytest.fixture
def odoo(erp_app) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=19) as fake:
        with erp_app.app_context():
            session = get_session()
            session.execute(delete(ErpConnection))
            session.execute(delete(OutboxMessage))
            save_connection(session, {"name": "odoo-panel", "kind": "odoo", "url": fake.url,
                                      "database": fake.database, "login": fake.login,
                                      "secret": fake.api_key})
            session.commit()
        yield fake


def _confirmed_order(app, owner=None) -> int:
    with app.app_context(), system_context("test"):
        session = get_session()
        customer = customers.create_customer(session, name="面板客户")
        order = sales.create_order(session, customer.id, [
            {"description": "螺丝", "quantity": "2", "unit_price": "5"}], None,
            **({"owner_id": owner.id, "department_id": owner.department_id} if owner else {}))
        sales.confirm_order(session, order)
        session.commit()
        return order.id


def test_the_order_page_shows_waiting_then_the_erp_number(erp_app, odoo) -> None:
    seller = client_as(erp_app, "manager", department="华东")  # no connection rights
    order_id = _confirmed_order(erp_app, seller.user)
    admin = client_as(erp_app, "admin")
    page = admin.get(f"/sales/orders/{order_id}").get_data(as_text=True)
    assert "odoo-panel" in page and "Waiting to be sent" in page
    with erp_app.app_context():
        drain()
    [erp_order] = odoo.store.records["sale.order"].values()
    page = admin.get(f"/sales/orders/{order_id}").get_data(as_text=True)
    assert "In the ERP" in page and erp_order["name"] in page
    assert "/erp/sync/log" in page

    page = seller.get(f"/sales/orders/{order_id}").get_data(as_text=True)
    assert erp_order["name"] in page and "/erp/sync/log" not in page


def test_a_refused_order_shows_the_erps_message(erp_app, odoo) -> None:
    order_id = _confirmed_order(erp_app)
    with erp_app.app_context():
        session = get_session()
        mapping = session.scalar(select(ErpExternalId).where(
            ErpExternalId.object == "order", ErpExternalId.crm_id == order_id))
        mapping.error = "The partner is archived"
        session.commit()
    page = client_as(erp_app, "admin").get(f"/sales/orders/{order_id}").get_data(as_text=True)
    assert "Refused by the ERP" in page and "The partner is archived" in page


def test_an_order_no_erp_knows_has_no_erp_panel(erp_app) -> None:
    with erp_app.app_context(), system_context("test"):
        session = get_session()
        customer = customers.create_customer(session, name="草稿客户")
        order = sales.create_order(session, customer.id, [
            {"description": "纸", "quantity": "1", "unit_price": "1"}], None)
        session.commit()
    page = client_as(erp_app, "admin").get(f"/sales/orders/{order.id}")
    assert page.status_code == 200 and "erp-order-state" not in page.get_data(as_text=True)
