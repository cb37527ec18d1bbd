"""`crm erp sync --object customers|orders`: the initial push in batches (one `create` with a
list of values per page), a lost answer in the middle run again without a duplicate, and the
confirmed orders pushed with their customers and confirmed on the ERP."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
from fake_odoo import FakeOdoo
from sqlalchemy import delete, func, select

from crm_core.db import get_session
from crm_core.outbox.models import OutboxMessage
from crm_core.testing import invoke_cli
from crm_core.testing_clients import client_as
from crm_core.toolkit import system_context
from plugins.customers import services as customers
from plugins.erp_bridge.connections.services import find_connection, save_connection
from plugins.erp_bridge.models import ErpConnection, ErpExternalId
from plugins.erp_bridge.sync.initial import push_customers
from plugins.sales import services as sales


@pytest.fixture
def odoo(erp_app) -> Iterator[FakeOdoo]:
    with erp_app.app_context():
        get_session().execute(delete(ErpConnection))
        get_session().commit()
    with FakeOdoo(version=19) as fake:
        yield fake


def connect(app, fake: FakeOdoo) -> None:
    with app.app_context():
        save_connection(get_session(), {"name": "odoo", "kind": "odoo", "url": fake.url,
                                        "database": fake.database, "login": fake.login,
                                        "secret": fake.api_key})
        get_session().commit()


def sync(app, obj: str) -> tuple[int, dict]:
    result = invoke_cli(app, "erp", "sync", "--object", obj)
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def test_the_initial_push_creates_customers_in_batches_once_each(erp_app, odoo) -> None:
    with erp_app.app_context():
        session = get_session()
        for n in range(120):
            customers.create_customer(session, name=f"批量客户{n:03d}")
        session.commit()
    connect(erp_app, odoo)
    odoo.lose_answers = 1  # the first page is made, its answer lost
    with erp_app.app_context():
        connection = find_connection(get_session(), "odoo")
        first = push_customers(get_session(), connection, page=50)
        assert (first.pushed, first.failed) == (0, 1)
    code, totals = sync(erp_app, "customers")
    assert code == 0 and totals["failed"] == 0 and totals["pulled"] == 0
    refs = odoo.store.refs("res.partner")
    assert max(refs.values()) == 1  # nothing duplicated
    with erp_app.app_context():
        mapped = get_session().scalar(select(func.count()).where(
            ErpExternalId.object == "customer", ErpExternalId.erp_id.is_not(None)))
    assert mapped == len(refs) >= 120
    creates = Counter(method for _t, model, method in odoo.calls if model == "res.partner")
    assert creates["create"] <= len(refs) // 200 + 3  # one create per page, not per customer
    assert sync(erp_app, "customers")[1]["pushed"] == 0  # all there already


def test_confirmed_orders_are_pushed_confirmed_with_their_customers(erp_app, odoo) -> None:
    with erp_app.app_context(), system_context("test"):
        session = get_session()
        customer = customers.create_customer(session, name="初始订单客户")
        orders = [sales.create_order(session, customer.id, [
            {"description": f"货品{n}", "quantity": "2", "unit_price": "10"}], None)
            for n in range(3)]
        for order in orders[:2]:
            sales.confirm_order(session, order)
        session.commit()
        session.execute(delete(OutboxMessage))  # no connection yet: nothing queued anyway
        session.commit()
        order_ids = [order.id for order in orders]
    connect(erp_app, odoo)
    code, totals = sync(erp_app, "orders")
    assert code == 0 and totals["pushed"] >= 2
    by_ref = {row["client_order_ref"]: row for row in odoo.store.records["sale.order"].values()}
    assert {f"crm-order-{order_ids[0]}", f"crm-order-{order_ids[1]}"} <= set(by_ref)
    assert f"crm-order-{order_ids[2]}" not in by_ref  # a draft stays in the CRM
    assert by_ref[f"crm-order-{order_ids[0]}"]["state"] == "sale"
    assert f"crm-customer-{customer.id}" in odoo.store.refs("res.partner")
    assert sync(erp_app, "orders")[1]["pushed"] == 0


def test_the_reconciliation_finds_a_partner_deleted_in_the_erp(erp_app, odoo) -> None:
    with erp_app.app_context():
        customer = customers.create_customer(get_session(), name="会被删除的客户")
        get_session().commit()
    connect(erp_app, odoo)
    assert sync(erp_app, "customers")[0] == 0
    [partner] = [row["id"] for row in odoo.store.records["res.partner"].values()
                 if row["ref"] == f"crm-customer-{customer.id}"]
    del odoo.store.records["res.partner"][partner]  # deleted by someone in the ERP

    def reconcile() -> dict:
        result = invoke_cli(erp_app, "erp", "reconcile", "--object", "customers")
        return json.loads(result.output.strip().splitlines()[-1])

    assert reconcile() == {"gone": 1, "back": 0, "failed": 0}
    assert reconcile()["gone"] == 0  # marked once
    log = client_as(erp_app, "admin").get("/erp/sync/log").get_data(as_text=True)
    assert "Deleted in the ERP" in log
    invoke_cli(erp_app, "erp", "sync", "--object", "customers", "--full")
    assert odoo.store.refs("res.partner")[f"crm-customer-{customer.id}"] == 1  # made again
    assert reconcile() == {"gone": 0, "back": 1, "failed": 0}


def test_a_page_with_one_record_the_erp_refuses_keeps_only_that_one_out(erp_app, odoo) -> None:
    from plugins.erp_bridge.sync.settings import save_object_settings

    with erp_app.app_context():
        session = get_session()
        bad = customers.create_customer(session, name="网址当税号", website="bad")
        save_object_settings(session, "customers", "push", "crm",
                             {"name": "name", "vat": "website"})
        session.commit()
    connect(erp_app, odoo)
    try:
        code, totals = sync(erp_app, "customers")
        assert code == 0 and totals["dead"] == 1 and totals["pushed"] >= 1
        refs = odoo.store.refs("res.partner")
        assert f"crm-customer-{bad.id}" not in refs and max(refs.values()) == 1
        with erp_app.app_context():
            error = get_session().scalar(select(ErpExternalId.error).where(
                ErpExternalId.object == "customer", ErpExternalId.crm_id == bad.id))
        assert "does not seem to be valid" in error
    finally:
        with erp_app.app_context():
            save_object_settings(get_session(), "customers", "push", "crm")
            get_session().commit()
