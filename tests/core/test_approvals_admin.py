"""The approval definitions' admin page, the department head field, and the acceptance
scenario: "contracts over ¥100,000 need manager then finance" defined on the admin page,
approved in two steps by two users, a non-approver refused."""

from __future__ import annotations

import pytest
from approvals_world import KIND, build_world, csrf_token, decide_in_ui
from sqlalchemy import select

from crm_core.approvals.definitions import StepInput
from crm_core.approvals.models import Approval, ApprovalDefinition, ApprovalDefinitionStep
from crm_core.db import get_session
from crm_core.rbac.models import Department

pytestmark = pytest.mark.crm_plugins()


@pytest.fixture
def world(crm_app):
    return build_world(crm_app)


def definition_form(html: str, **fields: object) -> dict:
    data = {"csrf_token": csrf_token(html), "name": "", "subject_kind": KIND, "min_amount": "",
            "condition": "", "priority": "100", "active": "y", "description": ""}
    data.update(fields)
    return data


def step(index: int, kind: str, mode: str = "any", role: str = "", label: str = "",
         users: tuple[int, ...] = ()) -> dict:
    prefix = f"steps-{index}-"
    return {prefix + "approver_kind": kind, prefix + "mode": mode, prefix + "role_name": role,
            prefix + "label": label, prefix + "user_ids": [str(u) for u in users]}


def test_acceptance_contracts_over_100000_need_manager_then_finance(world):
    admin = world.client("admin")
    page = admin.get("/admin/approvals/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Contract" in html  # the subject kind the plugin declares
    # "Add a step" gives a second row, keeping what was typed
    added = admin.post("/admin/approvals/new", data={
        **definition_form(html, name="Big contracts", min_amount="100000"),
        **step(0, "role", role="manager", label="Manager"), "add_step": "1"})
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    assert 'name="steps-1-approver_kind"' in html and 'value="Big contracts"' in html
    saved = admin.post("/admin/approvals/new", data={
        **definition_form(html, name="Big contracts", min_amount="100000"),
        **step(0, "role", role="manager", label="Manager"),
        **step(1, "role", role="finance", label="Finance")})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    listing = admin.get("/admin/approvals/").get_data(as_text=True)
    assert "Big contracts" in listing and "100000.00" in listing

    assert world.request("sales", 50_000).needed is False  # under the threshold
    result = world.request("sales", 150_000, title="Contract with Acme")
    assert result.needed and result.status == "pending"

    manager, finance = world.client("manager"), world.api("finance1")
    # finance may not decide the manager's step; a non-approver may not decide at all
    assert finance.post(f"/api/v1/approvals/{result.approval_id}/approve",
                        json={}).status_code == 403
    assert world.api("sales").post(f"/api/v1/approvals/{result.approval_id}/approve",
                                   json={"comment": "me"}).status_code == 403
    assert world.api("outsider").post(f"/api/v1/approvals/{result.approval_id}/approve",
                                      json={}).status_code == 404
    assert "Contract with Acme" in manager.get("/approvals/").get_data(as_text=True)
    assert decide_in_ui(manager, result.approval_id, "approve", "OK from sales").status_code \
        == 302
    approved = finance.post(f"/api/v1/approvals/{result.approval_id}/approve",
                            json={"comment": "Budget fine"})
    assert approved.status_code == 200
    body = approved.get_json()
    assert body["status"] == "approved"
    assert [(s["label"], s["status"]) for s in body["steps"]] == [
        ("Manager", "approved"), ("Finance", "approved")]
    again = finance.post(f"/api/v1/approvals/{result.approval_id}/reject", json={})
    assert again.status_code == 409
    assert again.headers["Content-Type"].startswith("application/problem+json")
    assert world.plugin.decided[-1]["status"] == "approved"
    mine = world.client("sales").get("/approvals/mine").get_data(as_text=True)
    assert "Contract with Acme" in mine and "Approved" in mine


def test_the_definition_form_shows_errors_on_their_fields(world):
    admin = world.client("admin")
    html = admin.get("/admin/approvals/new").get_data(as_text=True)
    response = admin.post("/admin/approvals/new", data={
        **definition_form(html, name="Broken", min_amount="lots"), **step(0, "role")})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give the amount as a number" in page
    response = admin.post("/admin/approvals/new", data={
        **definition_form(html, name="Broken", min_amount="5"), **step(0, "role")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose the role that decides this step." in page
    assert 'id="steps-0-role_name"' in page and "is-invalid" in page
    response = admin.post("/admin/approvals/new", data={
        **definition_form(html, name="Broken"), **step(0, "users")})
    assert "Choose at least one user." in response.get_data(as_text=True)
    with world.app.app_context():
        assert get_session().scalar(select(ApprovalDefinition.id)) is None


def test_rows_can_be_removed_and_moved_up_without_saving(world):
    admin = world.client("admin")
    html = admin.get("/admin/approvals/new").get_data(as_text=True)
    data = {**definition_form(html, name="Order"), **step(0, "role", role="manager"),
            **step(1, "head", label="Head")}
    moved = admin.post("/admin/approvals/new", data={**data, "move_up": "1"})
    html = moved.get_data(as_text=True)
    assert html.index('value="Head"') < html.index('name="steps-1-label"')
    removed = admin.post("/admin/approvals/new", data={**data, "remove_step": "0"})
    html = removed.get_data(as_text=True)
    assert 'name="steps-1-label"' not in html and 'value="Head"' in html
    with world.app.app_context():
        assert get_session().scalar(select(ApprovalDefinition.id)) is None


def test_editing_keeps_steps_in_order_and_a_used_definition_is_deactivated(world):
    definition_id = world.definition([StepInput("role", role_name="manager"),
                                      StepInput("head")])
    admin = world.client("admin")
    html = admin.get(f"/admin/approvals/{definition_id}").get_data(as_text=True)
    assert 'value="Contracts"' in html
    saved = admin.post(f"/admin/approvals/{definition_id}", data={
        **definition_form(html, name="Contracts v2"), **step(0, "head"),
        **step(1, "users", mode="all", users=(world.user_id("finance1"),
                                              world.user_id("finance2")))})
    assert saved.status_code == 302
    with world.app.app_context():
        rows = get_session().scalars(select(ApprovalDefinitionStep).where(
            ApprovalDefinitionStep.definition_id == definition_id)
            .order_by(ApprovalDefinitionStep.position)).all()
        assert [(r.approver_kind, r.mode) for r in rows] == [("head", "any"), ("users", "all")]
    world.request("sales", 1)
    page = admin.get(f"/admin/approvals/{definition_id}/delete").get_data(as_text=True)
    assert "deactivated instead" in page
    done = admin.post(f"/admin/approvals/{definition_id}/delete",
                      data={"csrf_token": csrf_token(page)})
    assert done.status_code == 302
    with world.app.app_context():
        session = get_session()
        assert session.get(ApprovalDefinition, definition_id).active is False
        assert session.scalar(select(Approval.id)) is not None
    assert world.request("sales", 1).needed is False  # an inactive definition applies no more
    # one no approval used is deleted for good
    unused = world.definition([StepInput("head")], name="Unused")
    page = admin.get(f"/admin/approvals/{unused}/delete").get_data(as_text=True)
    admin.post(f"/admin/approvals/{unused}/delete", data={"csrf_token": csrf_token(page)})
    with world.app.app_context():
        assert get_session().get(ApprovalDefinition, unused) is None


def test_only_approval_managers_open_the_definition_pages(world):
    for name in ("manager", "sales", "viewer"):
        assert world.client(name).get("/admin/approvals/").status_code == 403


def test_the_department_form_names_its_head(world):
    admin = world.client("admin")
    url = f"/admin/departments/{world.departments['Finance']}"
    html = admin.get(url).get_data(as_text=True)
    assert 'name="head"' in html
    response = admin.post(url, data={"csrf_token": csrf_token(html), "name": "Finance",
                                     "parent": "", "head": str(world.user_id("finance1"))})
    assert response.status_code == 302
    with world.app.app_context():
        department = get_session().get(Department, world.departments["Finance"])
        assert department.head_id == world.user_id("finance1")
    world.definition([StepInput("head")])
    result = world.request("finance2", 1)
    assert world.api("finance1").post(f"/api/v1/approvals/{result.approval_id}/approve",
                                      json={}).get_json()["status"] == "approved"
