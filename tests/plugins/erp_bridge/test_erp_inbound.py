"""Inbound to sales: products pulled from the fake Odoo appear in sales' catalogue with the
ERP-owned fields read-only, follow the ERP's changes, and go out on the order lines as the
ERP's products; an invoice's payment state comes back onto the order and what is paid
reaches the order's contract as a payment, once."""

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
from plugins.sales import services as sales
from plugins.sales.catalog.products import ProductRefused, update_product
from plugins.sales.models import Contract, Payment, Product


@pytest.fixture
def odoo(erp_app) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=19) as fake:
        with erp_app.app_context():
            session = get_session()
            session.execute(delete(ErpConnection))
            session.execute(delete(OutboxMessage))
            save_connection(session, {"name": "odoo", "kind": "odoo", "url": fake.url,
                                      "database": fake.database, "login": fake.login,
                                      "secret": fake.api_key})
            session.commit()
        yield fake


def pull(app, obj: str) -> dict:
    import json

    result = invoke_cli(app, "erp", "sync", "--object", obj)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_pulled_products_are_in_the_catalogue_read_only_and_follow_the_erp(
        erp_app, odoo) -> None:
    odoo.store.clock = "2026-06-01 08:00:00"
    paper = odoo.store.add("product.product", {"name": "A4 打印纸", "default_code": "ERP-A4",
                                               "list_price": 19.9})
    old = odoo.store.add("product.product", {"name": "旧墨盒", "default_code": "ERP-OLD",
                                             "list_price": 5, "active": False})
    assert pull(erp_app, "products")["pulled"] == 2
    with erp_app.app_context():
        session = get_session()
        product = session.scalar(select(Product).where(Product.sku == "ERP-A4"))
        assert (product.name, product.list_price, product.active) == ("A4 打印纸", 1990, True)
        assert session.scalar(select(Product.active).where(Product.sku == "ERP-OLD")) is False
        with pytest.raises(ProductRefused) as refused:
            update_product(session, product, {"list_price": 100})
        assert refused.value.field == "list_price"
        update_product(session, product, {"category": "办公"})  # the CRM's own field
        session.commit()
        product_id = product.id
    odoo.store.clock = "2026-06-02 08:00:00"
    odoo.store.execute("product.product", "write", [paper], {"vals": {"list_price": 21.5}}, {})
    assert pull(erp_app, "products")["pulled"] == 1
    with erp_app.app_context(), system_context("test"):
        session = get_session()
        product = session.get(Product, product_id)
        assert (product.list_price, product.category) == (2150, "办公")
        customer = customers.create_customer(session, name="买纸的客户")
        order = sales.create_order(session, customer.id, [
            {"product_id": product_id, "quantity": "2", "unit_price": "21.50"}], None)
        sales.confirm_order(session, order)
        session.commit()
        drain()
    [erp_order] = odoo.store.records["sale.order"].values()
    [line] = [odoo.store.records["sale.order.line"][i] for i in erp_order["order_line"]]
    assert line["product_id"] == paper and old != paper


def test_an_invoice_payment_state_reaches_the_order_and_its_contract(erp_app, odoo) -> None:
    with erp_app.app_context(), system_context("test"):
        session = get_session()
        customer = customers.create_customer(session, name="付款的客户")
        order = sales.create_order(session, customer.id, [
            {"description": "服务", "quantity": "1", "unit_price": "1000"}], None)
        sales.confirm_order(session, order)
        contract = Contract(number=f"HT-ERP-{order.id}", order_id=order.id,
                            customer_id=customer.id, amount=100000, status="active")
        session.add(contract)
        session.commit()
        order_id, contract_id = order.id, contract.id
        drain()
    [erp_order] = odoo.store.records["sale.order"].values()
    invoice = odoo.store.add("account.move", {
        "name": "INV/2026/0001", "partner_id": erp_order["partner_id"],
        "invoice_origin": erp_order["name"], "amount_total": 1000.0,
        "amount_residual": 600.0, "payment_state": "partial"})
    assert pull(erp_app, "invoices")["pulled"] >= 1
    assert pull(erp_app, "invoices")["pulled"] == 0
    odoo.store.clock = "2026-06-03 08:00:00"
    odoo.store.execute("account.move", "write", [invoice],
                       {"vals": {"amount_residual": 0.0, "payment_state": "paid"}}, {})
    pull(erp_app, "invoices")
    with erp_app.app_context():
        session = get_session()
        state = session.scalar(select(ErpExternalId.erp_state).where(
            ErpExternalId.object == "order", ErpExternalId.crm_id == order_id))
        assert state == "paid"
        payments = session.scalars(select(Payment.amount).where(
            Payment.contract_id == contract_id)).all()
        assert sorted(payments) == [40000, 60000]  # 400 then 600 yuan, each once
        assert session.scalar(select(Payment.reference).where(
            Payment.contract_id == contract_id).limit(1)) == "INV/2026/0001"
