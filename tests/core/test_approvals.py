"""Approvals: requesting, deciding step by step (any / all, role, department head, named
users), rejection, withdrawal, provider takeover, deleted subjects, reminders, the operation
log, the inbox badge and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from approvals_world import KIND, Contract, ProviderPlugin, build_world, decide_in_ui
from sqlalchemy import select

from crm_core.approvals.definitions import StepInput
from crm_core.approvals.models import Approval, ApprovalStep
from crm_core.approvals.reminders import send_reminders
from crm_core.audit.models import AuditEntry
from crm_core.db import get_session, utcnow
from crm_core.notifications.models import Notification
from crm_core.toolkit import decide_from_provider

pytestmark = pytest.mark.crm_plugins()


@pytest.fixture
def world(crm_app):
    return build_world(crm_app)


def status_of(world, approval_id: int) -> str:
    with world.app.app_context():
        return get_session().get(Approval, approval_id).status


def notices(world, user: str, kind: str) -> list[Notification]:
    with world.app.app_context():
        return list(get_session().scalars(select(Notification).where(
            Notification.user_id == world.user_id(user), Notification.kind == kind)))


def test_no_applicable_definition_means_approved_at_once(world):
    world.definition([StepInput("role", role_name="manager")], min_amount=100_000)
    result = world.request("sales", 50_000)
    assert (result.needed, result.status, result.approval_id) == (False, "approved", None)
    assert world.request("sales", None).needed is False  # no amount: the threshold is not met
    assert world.request("sales", 100_000).needed is True
    assert world.plugin.requested[-1]["status"] == "pending"


def test_a_plugin_condition_decides_whether_a_definition_applies(world):
    world.definition([StepInput("role", role_name="manager")], condition="test.vip_customer")
    assert world.request("sales", 10, customer_id=1).needed is False
    assert world.request("sales", 10, customer_id=7).needed is True


def test_any_of_a_role_settles_the_step_with_one_decision(world):
    world.definition([StepInput("role", role_name="finance", mode="any")])
    approval_id = world.request("sales", 1).approval_id
    assert decide_in_ui(world.client("finance1"), approval_id, "approve", "fine").status_code \
        == 302
    assert status_of(world, approval_id) == "approved"
    # the other finance clerk has nothing left to decide
    second = world.api("finance2").post(f"/api/v1/approvals/{approval_id}/approve", json={})
    assert second.status_code == 409
    assert second.headers["Content-Type"].startswith("application/problem+json")
    assert world.plugin.decided[-1]["status"] == "approved"


def test_all_of_a_role_needs_every_approver(world):
    world.definition([StepInput("role", role_name="finance", mode="all")])
    approval_id = world.request("sales", 1).approval_id
    first = world.api("finance1").post(f"/api/v1/approvals/{approval_id}/approve",
                                          json={"comment": "ok by me"})
    assert first.status_code == 200
    assert first.get_json()["status"] == "pending"
    assert world.api("finance1").post(f"/api/v1/approvals/{approval_id}/approve",
                                         json={}).status_code == 409  # twice: refused
    last = world.api("finance2").post(f"/api/v1/approvals/{approval_id}/approve", json={})
    body = last.get_json()
    assert body["status"] == "approved"
    approvers = body["steps"][0]["approvers"]
    assert {a["name"] for a in approvers} == {"finance1", "finance2"}
    assert {a["decision"] for a in approvers} == {"approved"}
    assert "ok by me" in [a["comment"] for a in approvers]


def test_department_head_and_named_users_steps(world):
    world.definition([StepInput("head"),
                      StepInput("users", user_ids=[world.user_id("finance2")])])
    approval_id = world.request("sales", 1).approval_id
    # finance2 waits for the head: not their turn yet
    assert world.api("finance2").post(f"/api/v1/approvals/{approval_id}/approve",
                                         json={}).status_code == 403
    assert world.api("manager").post(f"/api/v1/approvals/{approval_id}/approve",
                                        json={}).status_code == 200
    assert world.api("finance2").post(f"/api/v1/approvals/{approval_id}/approve",
                                         json={}).status_code == 200
    assert status_of(world, approval_id) == "approved"


def test_a_rejection_ends_the_approval_and_cancels_later_steps(world):
    world.definition([StepInput("role", role_name="manager"),
                      StepInput("role", role_name="finance")])
    approval_id = world.request("sales", 1).approval_id
    response = world.api("manager").post(f"/api/v1/approvals/{approval_id}/reject",
                                            json={"comment": "Too cheap"})
    body = response.get_json()
    assert body["status"] == "rejected"
    assert [step["status"] for step in body["steps"]] == ["rejected", "cancelled"]
    assert world.plugin.decided[-1] == {"approval_id": approval_id, "subject_id":
                                        body["subject_id"], "status": "rejected",
                                        "comment": "Too cheap", "reason": ""}
    assert world.api("finance1").post(f"/api/v1/approvals/{approval_id}/approve",
                                         json={}).status_code == 409
    assert [n.title for n in notices(world, "sales", "approval.decided")] == [
        "Your request was decided: Contract"]


def test_the_requester_withdraws_and_nobody_else_may(world):
    world.definition([StepInput("role", role_name="manager")])
    approval_id = world.request("sales", 1).approval_id
    manager = world.client("manager")
    page = manager.get(f"/approvals/{approval_id}").get_data(as_text=True)
    assert "Withdraw the request" not in page
    from approvals_world import csrf_token

    refused = manager.post(f"/approvals/{approval_id}/withdraw",
                           data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 403
    sales = world.client("sales")
    page = sales.get(f"/approvals/{approval_id}").get_data(as_text=True)
    assert "Withdraw the request" in page
    done = sales.post(f"/approvals/{approval_id}/withdraw",
                      data={"csrf_token": csrf_token(page), "reason": "Wrong customer"})
    assert done.status_code == 302
    assert status_of(world, approval_id) == "withdrawn"
    assert world.plugin.decided[-1]["status"] == "withdrawn"
    assert "Wrong customer" in sales.get(f"/approvals/{approval_id}").get_data(as_text=True)
    assert decide_in_ui(manager, approval_id, "approve").status_code == 409


def test_who_may_see_an_approval(world):
    world.definition([StepInput("role", role_name="manager")])
    approval_id = world.request("sales", 1).approval_id
    for name in ("sales", "manager", "admin"):
        assert world.client(name).get(f"/api/v1/approvals/{approval_id}").status_code == 200
    for name in ("sales2", "outsider", "finance1"):
        api = world.api(name)
        assert api.get(f"/api/v1/approvals/{approval_id}").status_code == 404
        assert world.client(name).get(f"/approvals/{approval_id}").status_code == 404
        assert api.post(f"/api/v1/approvals/{approval_id}/approve",
                        json={}).status_code == 404
    # the requester and an administrator see it but may not decide it
    for name in ("sales", "admin"):
        response = world.api(name).post(f"/api/v1/approvals/{approval_id}/approve", json={})
        assert response.status_code == 403, name
    # a viewer lacks the permission to decide anything
    assert world.api("viewer").post(f"/api/v1/approvals/{approval_id}/approve",
                                       json={}).status_code == 403


def test_a_provider_takes_the_decision_over(world):
    provider = ProviderPlugin()
    world.app.extensions["crm"].pm.register(provider, name="oa")
    world.definition([StepInput("role", role_name="manager")])
    result = world.request("sales", 1)
    assert result.provider == "oa" and provider.asked == [result.approval_id]
    assert world.plugin.requested[-1]["provider"] == "oa"
    manager = world.api("manager")
    assert manager.get("/api/v1/approvals?mine=1").get_json()["items"] == []
    assert manager.post(f"/api/v1/approvals/{result.approval_id}/approve",
                        json={}).status_code == 409
    assert notices(world, "manager", "approval.requested") == []  # the OA system tells them
    with world.app.app_context():
        session = get_session()
        decide_from_provider(result.approval_id, True, "OK in OA", "Wang Wei", session=session)
        session.commit()
    assert status_of(world, result.approval_id) == "approved"
    assert world.plugin.decided[-1]["status"] == "approved"
    assert "Wang Wei" in world.plugin.decided[-1]["reason"]


def test_an_approval_whose_subject_was_deleted_is_closed_with_a_reason(world):
    world.definition([StepInput("role", role_name="manager")])
    result = world.request("sales", 1)
    with world.app.app_context():
        session = get_session()
        subject_id = session.get(Approval, result.approval_id).subject_id
        session.delete(session.get(Contract, subject_id))
        session.commit()
    manager = world.api("manager")
    response = manager.post(f"/api/v1/approvals/{result.approval_id}/approve", json={})
    assert response.status_code == 409
    detail = manager.get(f"/api/v1/approvals/{result.approval_id}").get_json()
    assert detail["status"] == "closed"
    assert detail["reason"] == "The record was deleted."
    assert world.plugin.decided[-1]["status"] == "closed"


def test_a_soft_deleted_subject_is_closed_by_the_reminder_task(world):
    world.definition([StepInput("role", role_name="manager")])
    result = world.request("sales", 1)
    with world.app.app_context():
        session = get_session()
        approval = session.get(Approval, result.approval_id)
        session.get(Contract, approval.subject_id).deleted_at = utcnow()
        for step in session.scalars(select(ApprovalStep)):
            step.opened_at = utcnow() - dt.timedelta(hours=30)
        session.commit()
        assert send_reminders() == 0
    assert status_of(world, result.approval_id) == "closed"
    assert notices(world, "manager", "approval.reminder") == []


def test_reminders_go_once_per_interval_to_those_still_waiting(world):
    world.definition([StepInput("role", role_name="finance", mode="all")])
    approval_id = world.request("sales", 1).approval_id
    assert len(notices(world, "finance1", "approval.requested")) == 1
    world.api("finance1").post(f"/api/v1/approvals/{approval_id}/approve", json={})
    with world.app.app_context():
        now = utcnow()
        assert send_reminders(now) == 0  # not waiting long enough yet
        assert send_reminders(now + dt.timedelta(hours=25)) == 1
        assert send_reminders(now + dt.timedelta(hours=26)) == 0  # once per interval
        assert send_reminders(now + dt.timedelta(hours=50)) == 1
    assert len(notices(world, "finance2", "approval.reminder")) == 2
    assert notices(world, "finance1", "approval.reminder") == []  # they decided already


def test_reminders_are_off_with_zero_hours(crm_make_app):
    world = build_world(crm_make_app(plugins=[], CRM_APPROVAL_REMIND_HOURS=0))
    world.definition([StepInput("role", role_name="manager")])
    world.request("sales", 1)
    with world.app.app_context():
        assert send_reminders(utcnow() + dt.timedelta(days=30)) == 0


def test_every_request_and_decision_is_in_the_operation_log(world):
    world.definition([StepInput("role", role_name="manager")])
    approval_id = world.request("sales", 1).approval_id
    decide_in_ui(world.client("manager"), approval_id, "approve", "Looks right")
    with world.app.app_context():
        entries = list(get_session().scalars(select(AuditEntry).where(
            AuditEntry.model == "core_approval", AuditEntry.record_id == str(approval_id))
            .order_by(AuditEntry.id)))
    actions = [entry.action for entry in entries]
    assert "approval_requested" in actions
    decided = [entry for entry in entries if entry.action == "approval_decided"]
    assert decided[0].username == "manager"
    assert json.loads(decided[0].changes)["comment"] == "Looks right"
    assert any(entry.action in ("update", "updated") for entry in entries)


def test_the_badge_counts_what_waits_for_me_and_refreshes(world):
    world.definition([StepInput("role", role_name="manager")])
    first = world.request("sales", 1).approval_id
    world.request("sales", 2)
    manager = world.client("manager")
    badge = manager.get("/approvals/badge").get_data(as_text=True)
    assert ">2<" in badge
    home = manager.get("/").get_data(as_text=True)
    assert 'hx-get="/approvals/badge"' in home and ">2<" in home
    decide_in_ui(manager, first, "approve")
    assert ">1<" in manager.get("/approvals/badge").get_data(as_text=True)
    inbox = manager.get("/approvals/").get_data(as_text=True)
    assert "Waiting for me" in inbox and inbox.count("/approvals/") >= 1
    assert world.client("sales").get("/approvals/badge").get_data(as_text=True).strip() == ""


def test_the_api_lists_waiting_requested_and_by_status(world):
    world.definition([StepInput("role", role_name="manager")])
    first = world.request("sales", 1).approval_id
    second = world.request("sales2", 2).approval_id
    manager, sales = world.api("manager"), world.api("sales")
    waiting = manager.get("/api/v1/approvals?status=pending&mine=1").get_json()
    assert [item["id"] for item in waiting["items"]] == [second, first]
    item = waiting["items"][0]
    assert {"id", "subject_kind", "subject_id", "title", "status", "steps"} <= set(item)
    assert item["subject_kind"] == KIND and item["steps"][0]["status"] == "open"
    assert [i["id"] for i in sales.get("/api/v1/approvals?requested=1").get_json()["items"]] \
        == [first]
    assert sales.get("/api/v1/approvals?mine=1").get_json()["items"] == []
    page = manager.get("/api/v1/approvals?limit=1").get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    bad = manager.get("/api/v1/approvals?status=nonsense")
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]
    long = manager.post(f"/api/v1/approvals/{first}/approve", json={"comment": "x" * 2001})
    assert long.status_code == 422 and "comment" in long.get_json()["errors"]


def test_the_history_partial_shows_steps_deciders_and_comments(world):
    world.definition([StepInput("role", role_name="manager", label="Manager check")])
    approval_id = world.request("sales", 1).approval_id
    decide_in_ui(world.client("manager"), approval_id, "reject", "Price too low")
    with world.app.app_context():
        subject_id = get_session().get(Approval, approval_id).subject_id
    html = world.client("sales").get(f"/contracts/{subject_id}").get_data(as_text=True)
    assert "Manager check" in html and "manager" in html and "Price too low" in html
    assert "Rejected" in html and f"/approvals/{approval_id}" in html
    # someone who may not see the approval sees none in the panel
    other = world.client("outsider").get(f"/contracts/{subject_id}").get_data(as_text=True)
    assert "Price too low" not in other and "No approvals for this record." in other
    # the approval page links back to the record
    page = world.client("manager").get(f"/approvals/{approval_id}").get_data(as_text=True)
    assert f'href="/contracts/{subject_id}"' in page


@pytest.mark.postgres
def test_two_steps_on_postgresql_with_row_locks(crm_make_app):
    world = build_world(crm_make_app(plugins=[], database="postgresql"))
    world.definition([StepInput("role", role_name="manager"),
                      StepInput("role", role_name="finance", mode="all")], min_amount="100000")
    assert world.request("sales", "99999.99").needed is False
    approval_id = world.request("sales", "150000.50").approval_id
    assert world.api("manager").post(f"/api/v1/approvals/{approval_id}/approve",
                                     json={}).status_code == 200
    for name in ("finance1", "finance2"):
        response = world.api(name).post(f"/api/v1/approvals/{approval_id}/approve", json={})
        assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "approved" and body["amount"] == "150000.50"
    assert world.api("finance1").post(f"/api/v1/approvals/{approval_id}/reject",
                                      json={}).status_code == 409


def test_the_beat_task_reminds_in_a_real_worker(world, crm_start_worker):
    import time

    from crm_core.jobs.service import send_task

    schedule = world.app.extensions["celery"].conf.beat_schedule
    assert schedule["core.approvals-remind"]["task"] == "core.approvals_remind"
    world.definition([StepInput("role", role_name="manager")])
    world.request("sales", 1)
    with world.app.app_context():
        session = get_session()
        for step in session.scalars(select(ApprovalStep)):
            step.opened_at = utcnow() - dt.timedelta(hours=30)
        session.commit()
    crm_start_worker(world.app)
    with world.app.app_context():
        send_task("core.approvals_remind")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not notices(world, "manager", "approval.reminder"):
        time.sleep(0.5)
    assert [n.title for n in notices(world, "manager", "approval.reminder")] == [
        "Still waiting for your approval: Contract"]


def test_each_approver_reads_the_notice_in_their_own_language(world):
    from crm_core.auth.models import User

    with world.app.app_context():
        session = get_session()
        session.get(User, world.user_id("finance1")).locale = "zh_CN"
        session.get(User, world.user_id("finance2")).locale = "en"
        session.commit()
    world.definition([StepInput("role", role_name="finance", mode="all")])
    world.request("sales", 1)  # asked in the requester's request, in English
    (chinese,) = notices(world, "finance1", "approval.requested")
    (english,) = notices(world, "finance2", "approval.requested")
    assert chinese.title.startswith("待审批：") and english.title.startswith("Approval needed:")
