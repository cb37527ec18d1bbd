"""Invoice requests (开票申请): the amount stays within what the contract has left to invoice,
the buyer's tax number has the 18-character shape, the ERP bridge's functions; and every
route of contracts, instalments, payments and invoice requests answers 404 for another
department's record."""

from __future__ import annotations

import pytest
from contracts_testing import TODAY, contract_in_db, csrf, team

from crm_core.db import get_session
from plugins.sales.invoicing import services as invoicing
from plugins.sales.models import Instalment, InvoiceRequest, Payment

TAX = "91310000MA1FL8XQ2B"


@pytest.fixture(scope="module")
def world(sales_app):
    return team(sales_app)


def _request(api, contract_id, amount, **more):
    return api.post("/api/v1/sales/invoice_requests", json={
        "contract_id": contract_id, "amount": amount, "invoice_type": "vat_special",
        "buyer_name": "华宇科技有限公司", "buyer_tax_number": TAX, **more})


def test_requests_stay_within_the_contract_amount_and_check_the_tax_number(sales_app, world):
    contract_id = contract_in_db(sales_app, world, amount=1_000_000)
    api = world["rep_api"]
    first = _request(api, contract_id, "6000")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["status"] == "requested" and first.get_json()["amount"] == "6000.00"
    over = _request(api, contract_id, "4000.01")
    assert over.status_code == 422 and "amount" in over.get_json()["errors"]
    assert "4000.00" in over.get_json()["errors"]["amount"][0]
    for wrong in ("12345", "91310000MA1FL8XQ2", "91310000MA1FL8XQ2I"):
        bad = _request(api, contract_id, "10", buyer_tax_number=wrong)
        assert bad.status_code == 422 and "buyer_tax_number" in bad.get_json()["errors"]
    assert "buyer_tax_number" in _request(api, contract_id, "10", buyer_tax_number="") \
        .get_json()["errors"]  # a VAT special invoice needs it
    normal = _request(api, contract_id, "10", invoice_type="electronic", buyer_tax_number="")
    assert normal.status_code == 201
    # cancelling gives the amount back
    cancelled = api.post(f"/api/v1/sales/invoice_requests/{first.get_json()['id']}/cancel")
    assert cancelled.get_json()["status"] == "cancelled"
    assert _request(api, contract_id, "9990").status_code == 201


def test_the_erp_bridge_takes_pending_requests_and_marks_them_synced(sales_app, world):
    contract_id = contract_in_db(sales_app, world, amount=500_000)
    request_id = _request(world["rep_api"], contract_id, "100").get_json()["id"]
    with sales_app.app_context():
        session = get_session()
        pending = invoicing.pending_invoice_requests(session, limit=1000)
        assert request_id in [item.id for item in pending]
        invoicing.mark_synced(session, request_id, "ERP-778")
        session.commit()
        assert request_id not in [item.id for item in
                                  invoicing.pending_invoice_requests(session, 1000)]
        row = session.get(InvoiceRequest, request_id)
        assert (row.status, row.external_ref) == ("synced", "ERP-778")
    changed = world["rep_api"].patch(f"/api/v1/sales/invoice_requests/{request_id}",
                                     json={"amount": "50"})
    assert changed.status_code == 409


def _records(app, world):
    """An active contract of ``world`` with an instalment, a payment and an invoice
    request; their ids keyed by URL variable."""
    contract_id = contract_in_db(app, world, amount=1_000_000)
    api = world["rep_api"]
    instalment = api.post(f"/api/v1/sales/contracts/{contract_id}/instalments",
                          json={"due_date": TODAY.isoformat(), "amount": "100"}).get_json()
    payment = api.post("/api/v1/sales/payments", json={
        "contract_id": contract_id, "amount": "10", "received_on": TODAY.isoformat()})
    invoice = _request(api, contract_id, "10")
    return {"contract_id": contract_id, "instalment_id": instalment["id"],
            "payment_id": payment.get_json()["id"],
            "invoice_request_id": invoice.get_json()["id"]}


BLUEPRINTS = ("sales_contracts", "sales_contract_flow", "sales_payments",
              "sales_invoice_requests", "sales_invoice_flow")


def test_another_departments_records_answer_404_on_every_route(sales_app, world):
    ids = _records(sales_app, world)
    outsider = team(sales_app)
    html, api = outsider["manager"], outsider["manager_api"]
    token = csrf(html, "/sales/contracts")
    tried = 0
    for rule in sales_app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".", 1)[0].removesuffix("_api")
        if blueprint not in BLUEPRINTS or not set(rule.arguments) & set(ids):
            continue
        url = rule.build({name: ids[name] for name in rule.arguments})[1]
        client = api if url.startswith("/api/") else html
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # a body each route would take: only the scope can refuse it
            body = {"reason": "x", "amount": "1", "due_date": TODAY.isoformat()}
            kwargs = {"json": body} if client is api else \
                {"data": {"csrf_token": token, **body}}
            answer = client.open(url, method=method, **kwargs)
            assert answer.status_code == 404, (method, url, answer.status_code)
            tried += 1
    assert tried >= 25
    # and the records are untouched
    with sales_app.app_context():
        session = get_session()
        assert session.get(Payment, ids["payment_id"]).deleted_at is None
        assert session.get(Instalment, ids["instalment_id"]).amount == 10_000
        assert session.get(InvoiceRequest, ids["invoice_request_id"]).status == "requested"
    # neither do the lists show them
    listed = api.get("/api/v1/sales/payments?limit=100").get_json()["items"]
    assert ids["payment_id"] not in [item["id"] for item in listed]


def test_every_page_opens_for_the_team_in_chinese(sales_app, world):
    ids = _records(sales_app, world)
    contract, payment = ids["contract_id"], ids["payment_id"]
    pages = ["/sales/contracts", "/sales/contracts/new", f"/sales/contracts/{contract}",
             f"/sales/contracts/{contract}/edit", f"/sales/contracts/{contract}/terminate",
             f"/sales/contracts/{contract}/instalments/new",
             f"/sales/contracts/{contract}/instalments/{ids['instalment_id']}/edit",
             "/sales/payments", f"/sales/payments/new?contract_id={contract}",
             f"/sales/payments/{payment}", f"/sales/payments/{payment}/edit",
             "/sales/invoice_requests", f"/sales/invoice_requests/new?contract_id={contract}",
             f"/sales/invoice_requests/{ids['invoice_request_id']}", "/sales/receivables"]
    for url in pages:
        answer = world["manager"].get(url, headers={"Accept-Language": "zh-CN"})
        assert answer.status_code == 200, url
    form = world["manager"].get(f"/sales/payments/new?contract_id={contract}")
    assert f'value="{ids["instalment_id"]}"' in form.get_data(as_text=True)  # its plan
