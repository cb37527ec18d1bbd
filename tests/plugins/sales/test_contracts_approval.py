"""Contracts through the API and the pages: created from a confirmed order (the issue's
interface), refused with field errors, submitted for the kernel's approval, approved by a
manager (API and the approvals page) or rejected back to draft with the comment, and
terminated."""

from __future__ import annotations

import datetime as dt
import json

from contracts_testing import TODAY, contract_in_db, csrf, read, team
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.db import get_session
from plugins.sales.models import Contract

START, END = TODAY.isoformat(), (TODAY + dt.timedelta(days=365)).isoformat()


def _new(world, amount="150000.00", **more):
    body = {"order_id": world["order_id"], "amount": amount, "start_date": START,
            "end_date": END, **more}
    return world["rep_api"].post("/api/v1/sales/contracts", json=body)


def test_a_contract_from_a_confirmed_order_waits_for_a_manager_then_is_active(sales_app):
    world = team(sales_app)
    created = _new(world, number=f"HT-{world['tag']}")
    assert created.status_code == 201, created.get_json()
    contract = created.get_json()
    assert contract["number"] == f"HT-{world['tag']}" and contract["status"] == "draft"
    assert contract["amount"] == "150000.00"
    assert contract["customer_id"] == world["customer_id"]  # from the order

    submitted = world["rep_api"].post(f"/api/v1/sales/contracts/{contract['id']}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "pending_approval"
    approval_id = submitted.get_json()["approval_id"]
    assert approval_id

    waiting = world["manager_api"].get("/api/v1/approvals?status=pending&mine=1").get_json()
    assert approval_id in [item["id"] for item in waiting["items"]]
    approved = world["manager_api"].post(f"/api/v1/approvals/{approval_id}/approve",
                                         json={"comment": "同意"})
    assert approved.status_code == 200, approved.get_json()
    after = world["rep_api"].get(f"/api/v1/sales/contracts/{contract['id']}").get_json()
    assert after["status"] == "active"


def test_the_manager_approves_on_the_kernels_approval_page(sales_app):
    world = team(sales_app)
    contract_id = _new(world).get_json()["id"]
    approval_id = world["rep_api"].post(
        f"/api/v1/sales/contracts/{contract_id}/submit").get_json()["approval_id"]
    manager = world["manager"]
    page = f"/approvals/{approval_id}"
    assert manager.get(page).status_code == 200
    decided = manager.post(f"{page}/decide", data={
        "csrf_token": csrf(manager, page), "decision": "approve", "comment": "可以"})
    assert decided.status_code in (302, 303)
    assert read(sales_app, Contract, contract_id).status == "active"
    shown = manager.get(f"/sales/contracts/{contract_id}",
                        headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Terminate" in shown and "Waiting for approval" not in shown


def test_a_rejected_contract_returns_to_draft_with_the_approvers_comment(sales_app):
    world = team(sales_app)
    contract_id = _new(world).get_json()["id"]
    approval_id = world["rep_api"].post(
        f"/api/v1/sales/contracts/{contract_id}/submit").get_json()["approval_id"]
    rejected = world["manager_api"].post(f"/api/v1/approvals/{approval_id}/reject",
                                         json={"comment": "价格太低，请重新谈"})
    assert rejected.status_code == 200
    after = world["rep_api"].get(f"/api/v1/sales/contracts/{contract_id}").get_json()
    assert after["status"] == "draft"
    assert after["approval_comment"] == "价格太低，请重新谈"
    page = world["manager"].get(f"/sales/contracts/{contract_id}").get_data(as_text=True)
    assert "价格太低，请重新谈" in page
    # fixed and submitted again, it waits again
    again = world["rep_api"].post(f"/api/v1/sales/contracts/{contract_id}/submit")
    assert again.get_json()["status"] == "pending_approval"
    assert again.get_json()["approval_id"] != approval_id


def test_a_small_contract_is_active_at_once_and_numbered_from_the_series(sales_app):
    world = team(sales_app)
    created = _new(world, amount="5000")
    number = created.get_json()["number"]
    assert number.startswith(f"HT{TODAY.year}-")
    submitted = world["rep_api"].post(f"/api/v1/sales/contracts/{created.get_json()['id']}"
                                      "/submit").get_json()
    assert submitted["status"] == "active" and submitted["approval_id"] is None


def test_refusals_name_their_field(sales_app):
    world = team(sales_app)
    api = world["rep_api"]

    def errors(body):
        answer = api.post("/api/v1/sales/contracts", json=body)
        assert answer.status_code == 422, answer.get_json()
        assert answer.mimetype == "application/problem+json"
        return answer.get_json()["errors"]

    base = {"order_id": world["order_id"], "amount": "100", "start_date": START,
            "end_date": END}
    assert "end_date" in errors({**base, "end_date": "2000-01-01"})
    assert "order_id" in errors({**base, "order_id": world["draft_order_id"]})
    assert "amount" in errors({**base, "amount": "12.345"})
    assert "customer_id" in errors({"amount": "100"})
    other = team(sales_app)
    assert "order_id" in errors({**base, "order_id": other["order_id"]})  # not theirs
    first = api.post("/api/v1/sales/contracts", json={**base, "number": f"X-{world['tag']}"})
    assert first.status_code == 201
    assert "number" in errors({**base, "number": f"X-{world['tag']}"})


def test_the_form_shows_the_date_error_and_takes_the_amount_in_yuan(sales_app):
    world = team(sales_app)
    rep = world["rep"]
    token = csrf(rep, "/sales/contracts/new")
    form = {"csrf_token": token, "customer_id": str(world["customer_id"]),
            "amount": "8,000.50", "start_date": START, "end_date": "2000-01-01"}
    refused = rep.post("/sales/contracts", data=form)
    assert refused.status_code == 400
    assert "end date cannot be before" in refused.get_data(as_text=True) or \
        "结束日期" in refused.get_data(as_text=True)
    saved = rep.post("/sales/contracts", data={**form, "end_date": END})
    assert saved.status_code in (302, 303)
    contract_id = int(saved.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert read(sales_app, Contract, contract_id).amount == 800_050


def test_terminate_needs_an_active_contract_and_a_reason(sales_app):
    world = team(sales_app)
    contract_id = contract_in_db(sales_app, world, amount=100_000)
    api = world["rep_api"]
    refused = api.post(f"/api/v1/sales/contracts/{contract_id}/terminate", json={"reason": ""})
    assert refused.status_code == 422
    done = api.post(f"/api/v1/sales/contracts/{contract_id}/terminate",
                    json={"reason": "客户破产"})
    assert done.status_code == 200 and done.get_json()["status"] == "terminated"
    again = api.post(f"/api/v1/sales/contracts/{contract_id}/terminate",
                     json={"reason": "再次"})
    assert again.status_code == 409
    # the operation log has the status change and the reason
    with sales_app.app_context():
        session = get_session()
        entries = session.execute(select(AuditEntry.action, AuditEntry.changes).where(
            AuditEntry.model == "sales_contract",
            AuditEntry.record_id == str(contract_id))).all()
    logged = [(action, json.loads(changes)) for action, changes in entries]
    assert any(action == "contract_terminated" and changes.get("reason") == "客户破产"
               for action, changes in logged)
    assert any("terminated" in json.dumps(changes) for action, changes in logged
               if action != "contract_terminated")
