"""Personal data requests in sales and the ERP bridge: a person customer's quotes, orders,
contracts and invoice requests are exported; the erasure blanks the buyer and the person's
name and phone in titles and notes but keeps every number and amount, and names the ERP
record the operator must anonymise there."""

from __future__ import annotations

import json

from sqlalchemy import select

from crm_core.testing import invoke_cli

PHONE = "13512345678"


def _world(app) -> dict[str, int]:
    from crm_core.db import get_session
    from plugins.customers import services as customers
    from plugins.erp_bridge.models import ErpConnection, ErpExternalId
    from plugins.sales.models import Contract, InvoiceRequest, Quote

    with app.app_context():
        session = get_session()
        person = customers.create_customer(session, name="周杰", kind="person",
                                           phones=[PHONE])
        other = customers.create_customer(session, name="吴磊", kind="person")
        session.add_all([
            Quote(number="Q-1", customer_id=person.id, total_amount=120000,
                  notes="周杰要求周五前报价，电话 13512345678"),
            Quote(number="Q-2", customer_id=other.id, total_amount=5000, notes="吴磊的报价"),
            Contract(number="HT-1", customer_id=person.id, amount=120000, title="周杰装修合同",
                     party_a="周杰", party_b="本公司"),
            InvoiceRequest(customer_id=person.id, amount=120000, buyer_name="周杰",
                           buyer_tax_number="110101199001011234"),
            InvoiceRequest(customer_id=other.id, amount=5000, buyer_name="吴磊")])
        connection = ErpConnection(name="odoo-main", kind="odoo")
        session.add(connection)
        session.flush()
        session.add(ErpExternalId(connection_id=connection.id, object="customer",
                                  crm_id=person.id, erp_id=4711, ref=f"crm-customer-{person.id}"))
        session.commit()
        return {"person": person.id, "other": other.id}


def test_a_person_customers_sales_are_exported_and_erased_but_amounts_kept(crm_make_app):
    app = crm_make_app(plugins=["customers", "sales", "erp_bridge"])
    ids = _world(app)
    result = invoke_cli(app, "privacy", "export", "--phone", "+86 135 1234 5678")
    assert result.exit_code == 0, result.output
    plugins = json.loads(result.output)["plugins"]
    assert [q["number"] for q in plugins["sales"]["quotes"]] == ["Q-1"]
    assert [c["party_a"] for c in plugins["sales"]["contracts"]] == ["周杰"]
    assert [i["buyer_tax_number"] for i in plugins["sales"]["invoice_requests"]] == \
        ["110101199001011234"]
    assert [link["erp_id"] for link in plugins["erp_bridge"]["erp_records"]] == [4711]

    result = invoke_cli(app, "privacy", "erase", "--phone", PHONE, "--yes")
    assert result.exit_code == 0, result.output
    assert "odoo-main" in result.output and "4711" in result.output  # the operator's note
    with app.app_context():
        from crm_core.db import get_session
        from plugins.sales.models import Contract, InvoiceRequest, Quote

        session = get_session()
        quotes = {q.number: q for q in session.scalars(select(Quote))}
        assert "周杰" not in quotes["Q-1"].notes and PHONE not in quotes["Q-1"].notes
        assert quotes["Q-1"].total_amount == 120000
        assert quotes["Q-2"].notes == "吴磊的报价"
        contract = session.scalars(select(Contract)).one()
        assert (contract.party_a, contract.party_b, contract.amount) == \
            ("[erased]", "本公司", 120000)
        assert "周杰" not in contract.title
        invoices = {i.customer_id: i for i in session.scalars(select(InvoiceRequest))}
        assert (invoices[ids["person"]].buyer_name,
                invoices[ids["person"]].buyer_tax_number) == ("[erased]", "")
        assert invoices[ids["other"]].buyer_name == "吴磊"
