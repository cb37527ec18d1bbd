"""The payment plan (回款计划) and payments received (回款): the plan never exceeds the
contract, payments keep each instalment's received amount and status, an overpayment asks
for confirmation (API 422 naming ``amount``; the form a box to tick), overdue instalments
are flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from contracts_testing import TODAY, contract_in_db, csrf, read, team

from plugins.sales.models import Instalment, Payment

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def world(sales_app):
    return team(sales_app)


def _plan(api, contract_id, *items):
    ids = []
    for due, amount in items:
        answer = api.post(f"/api/v1/sales/contracts/{contract_id}/instalments",
                          json={"due_date": due.isoformat(), "amount": amount})
        assert answer.status_code == 201, answer.get_json()
        ids.append(answer.get_json()["id"])
    return ids


def test_the_plan_may_not_exceed_the_contract_amount(sales_app, world):
    contract_id = contract_in_db(sales_app, world, amount=1_000_000)  # ¥10,000
    api = world["rep_api"]
    _plan(api, contract_id, (TODAY, "6000"))
    over = api.post(f"/api/v1/sales/contracts/{contract_id}/instalments",
                    json={"due_date": TODAY.isoformat(), "amount": "4000.01"})
    assert over.status_code == 422 and "amount" in over.get_json()["errors"]
    assert "4000.00" in over.get_json()["errors"]["amount"][0]  # what is left to plan
    _plan(api, contract_id, (TODAY, "4000"))
    # the form says the same under the amount
    rep = world["rep"]
    url = f"/sales/contracts/{contract_id}/instalments/new"
    page = rep.post(url, data={"csrf_token": csrf(rep, url), "due_date": TODAY.isoformat(),
                               "amount": "1"}, headers=EN)
    assert page.status_code == 400
    assert "more than the contract amount" in page.get_data(as_text=True)


def test_payments_fill_the_plan_and_an_overpayment_needs_confirmation(sales_app, world):
    contract_id = contract_in_db(sales_app, world, amount=1_000_000)
    api = world["rep_api"]
    first, second = _plan(api, contract_id, (TODAY - dt.timedelta(days=10), "4000"),
                          (TODAY + dt.timedelta(days=20), "6000"))
    body = {"contract_id": contract_id, "instalment_id": first, "amount": "1500",
            "received_on": TODAY.isoformat(), "method": "bank_transfer", "reference": "T1"}
    paid = api.post("/api/v1/sales/payments", json=body)
    assert paid.status_code == 201, paid.get_json()
    assert paid.get_json()["amount"] == "1500.00"
    assert read(sales_app, Payment, paid.get_json()["id"]).owner_id == world["rep"].user.id
    plan = {item["id"]: item for item in
            api.get(f"/api/v1/sales/contracts/{contract_id}/instalments").get_json()}
    assert plan[first]["status"] == "partial" and plan[first]["received_amount"] == "1500.00"
    assert plan[first]["overdue"] is True and plan[second]["overdue"] is False

    too_much = api.post("/api/v1/sales/payments", json={**body, "amount": "2500.01"})
    assert too_much.status_code == 422
    assert too_much.mimetype == "application/problem+json"
    assert list(too_much.get_json()["errors"]) == ["amount"]
    confirmed = api.post("/api/v1/sales/payments",
                         json={**body, "amount": "2600", "confirm_overpayment": True})
    assert confirmed.status_code == 201
    first_after = read(sales_app, Instalment, first)
    assert (first_after.status, first_after.received_amount) == ("paid", 400_000)
    # what went over fills the next instalment
    assert read(sales_app, Instalment, second).received_amount == 10_000

    payment_id = confirmed.get_json()["id"]
    assert api.delete(f"/api/v1/sales/payments/{payment_id}").status_code == 403  # a rep
    manager = world["manager_api"]
    assert manager.delete(f"/api/v1/sales/payments/{payment_id}").status_code == 204
    assert read(sales_app, Instalment, first).status == "partial"


def test_the_payment_form_asks_before_recording_an_overpayment(sales_app, world):
    contract_id = contract_in_db(sales_app, world, amount=100_000)  # ¥1,000
    rep = world["rep"]
    token = csrf(rep, f"/sales/payments/new?contract_id={contract_id}")
    form = {"csrf_token": token, "contract_id": str(contract_id), "amount": "1200",
            "received_on": TODAY.isoformat(), "method": "cash"}
    asked = rep.post("/sales/payments", data=form, headers=EN)
    assert asked.status_code == 400
    text = asked.get_data(as_text=True)
    assert "more than the ¥1000.00 outstanding" in text and 'name="confirm_overpayment"' in text
    recorded = rep.post("/sales/payments", data={**form, "confirm_overpayment": "y"})
    assert recorded.status_code in (302, 303)


def test_payments_wait_for_an_active_contract(sales_app, world):
    draft = contract_in_db(sales_app, world, amount=100_000, status="draft")
    answer = world["rep_api"].post("/api/v1/sales/payments", json={
        "contract_id": draft, "amount": "10", "received_on": TODAY.isoformat()})
    assert answer.status_code == 422 and "contract_id" in answer.get_json()["errors"]


def test_the_contract_page_flags_overdue_instalments(sales_app, world):
    contract_id = contract_in_db(sales_app, world, amount=500_000)
    _plan(world["rep_api"], contract_id, (TODAY - dt.timedelta(days=3), "1000"))
    page = world["rep"].get(f"/sales/contracts/{contract_id}", headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "table-danger" in text and "Overdue" in text
