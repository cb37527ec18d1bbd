"""The Odoo adapter against the fake Odoo, on JSON-2 and XML-RPC: an order pushed twice (its
first answer lost) exists once, a confirmation tried twice confirms once, products and
invoices are pulled incrementally with their payment state; and crm_erp_adapter answers for
Odoo connections only."""

from __future__ import annotations

import pytest
from fake_odoo import FakeOdoo

from plugins.erp_bridge.adapters.odoo import OdooAdapter
from plugins.erp_bridge.odoo import OdooClient, TransientError


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_orders_invoices_and_products_round_trip_idempotently(transport: str) -> None:
    with FakeOdoo(version=19) as fake, OdooAdapter(OdooClient(
            fake.url, fake.database, fake.login, fake.api_key, transport=transport)) as erp:
        fake.store.clock = "2026-05-01 09:00:00"
        printer = fake.store.add("product.product", {"name": "激光打印机", "list_price": 1500})
        partner = erp.upsert_partner("crm-customer-1", {"name": "华宇科技"})
        assert erp.upsert_partner("crm-customer-1", {"name": "华宇科技有限公司"}, partner) \
            == partner
        lines = [{"product_id": printer, "product_uom_qty": 2, "price_unit": 1500.0,
                  "name": "激光打印机"}]
        fake.lose_answers = 1
        with pytest.raises(TransientError):
            erp.push_order("crm-order-9", partner, lines)
        order = erp.push_order("crm-order-9", partner, lines)  # the outbox's retry
        assert fake.store.refs("sale.order", "client_order_ref") == {"crm-order-9": 1}
        fake.lose_answers = 1
        fake.store.clock = "2026-05-01 10:00:00"
        with pytest.raises(TransientError):
            erp.confirm_order(order)  # confirmed, but the answer is lost
        erp.confirm_order(order)  # the retry: confirmed already, so nothing (no UserError)
        assert fake.store.records["sale.order"][order]["state"] == "sale"
        invoice = fake.store.add("account.move", {"partner_id": partner, "amount_total": 3000,
                                                  "invoice_origin": "S00009"})
        fake.store.add("account.move", {"partner_id": partner, "move_type": "in_invoice"})
        rows, cursor = erp.pull_invoices(None)
        assert [(row["id"], row["payment_state"]) for row in rows] == [(invoice, "not_paid")]
        fake.store.clock = "2026-05-02 08:00:00"
        erp.client.call("account.move", "write", ids=[invoice],
                        vals={"payment_state": "paid", "amount_residual": 0})
        rows, cursor = erp.pull_invoices(cursor)
        assert [(row["id"], row["payment_state"]) for row in rows] == [(invoice, "paid")]
        assert erp.pull_invoices(cursor) == ([], cursor)
        fake.store.records["product.product"][printer]["active"] = False
        products, _after = erp.pull_products(None)
        assert [(row["id"], row["active"]) for row in products] == [(printer, False)]


def test_the_adapter_hook_answers_for_odoo_connections_only(erp_app) -> None:
    from crm_core.db import get_session
    from plugins.erp_bridge.connections.services import NoAdapter, adapter_for, save_connection
    from plugins.erp_bridge.webhooks.signing import new_secret

    with erp_app.app_context():
        session = get_session()
        odoo = save_connection(session, {"name": "adapter-odoo", "kind": "odoo",
                                         "url": "http://127.0.0.1:9", "database": "db",
                                         "login": "bot", "secret": "k" * 40})
        hook = save_connection(session, {"name": "adapter-hook", "kind": "webhook",
                                         "secret": new_secret()})
        session.rollback()
        with adapter_for(odoo) as adapter:
            assert isinstance(adapter, OdooAdapter)
            assert "k" * 40 not in repr(adapter.client.__dict__.get("_transport"))
        with pytest.raises(NoAdapter):
            adapter_for(hook)
