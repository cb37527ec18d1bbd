"""Campaigns through the API and the page: created with the issue's interface (budget in
yuan, kept in fen, the audience and e-mail stored), moved along their states, a budget over
the threshold waiting for a manager's approval (or rejected back to planned), seen by the
marketer's department only."""

from __future__ import annotations

from marketing_testing import client_as, csrf, read, unique

from plugins.marketing.models import Campaign


def _department(app):
    name = f"市场部 {unique()}"
    marketer = client_as(app, "marketing", department=name)
    marketer_api = client_as(app, "marketing", department=name, api=True)
    manager_api = client_as(app, "manager", department=name, api=True)
    return marketer, marketer_api, manager_api


def _approval_definition(app, role="manager"):
    from crm_core.approvals.definitions import StepInput, save_definition

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        save_definition(session, None, name=f"大额活动 {unique()}",
                        subject_kind="marketing.campaign", min_amount="0",
                        steps=[StepInput("role", "any", "", role, [])])
        session.commit()
        session.close()


def test_a_campaign_posted_as_the_issue_says_keeps_its_budget_audience_and_mail(
        marketing_app):
    _, marketer_api, _ = _department(marketing_app)
    created = marketer_api.post("/api/v1/marketing/campaigns", json={
        "name": "春季新品邮件", "type": "email", "budget": "12000.50",
        "audience": {"tag_ids": [3, 1]}, "subject": "新品上市", "html": "<p>您好</p>"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["state"] == "planned" and body["budget"] == "12000.50"
    row = read(marketing_app, Campaign, body["id"])
    assert row.budget == 1_200_050 and row.subject == "新品上市" and row.html == "<p>您好</p>"
    assert row.audience["tag_ids"] == [1, 3] and row.audience["contacts"] == "primary"
    assert row.owner_id == marketer_api.user.id
    assert row.department_id == marketer_api.user.department_id

    refused = marketer_api.post("/api/v1/marketing/campaigns", json={
        "name": "x", "type": "fax", "budget": "1.234"})
    assert refused.status_code == 422
    assert {"type", "budget"} <= set(refused.get_json()["errors"])


def test_a_small_budget_is_approved_at_once_and_moves_through_every_state(marketing_app):
    _, marketer_api, _ = _department(marketing_app)
    campaign_id = marketer_api.post("/api/v1/marketing/campaigns", json={
        "name": "客户答谢会", "type": "event", "budget": "8000"}).get_json()["id"]
    skipped = marketer_api.post(f"/api/v1/marketing/campaigns/{campaign_id}/state",
                                json={"state": "running"})
    assert skipped.status_code == 409
    for state in ("approved", "running", "completed", "evaluated"):
        moved = marketer_api.post(f"/api/v1/marketing/campaigns/{campaign_id}/state",
                                  json={"state": state})
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["state"] == state


def test_a_budget_over_the_threshold_waits_for_a_manager_and_a_rejection_returns_it(
        marketing_app):
    _approval_definition(marketing_app)
    _, marketer_api, manager_api = _department(marketing_app)
    small = marketer_api.post("/api/v1/marketing/campaigns", json={
        "name": "线上广告小试", "type": "online_ads", "budget": "50000"}).get_json()["id"]
    assert marketer_api.post(f"/api/v1/marketing/campaigns/{small}/state",
                             json={"state": "approved"}).get_json()["state"] == "approved"

    big = marketer_api.post("/api/v1/marketing/campaigns", json={
        "name": "上海国际工业博览会", "type": "exhibition", "budget": "180000"}).get_json()["id"]
    asked = marketer_api.post(f"/api/v1/marketing/campaigns/{big}/state",
                              json={"state": "approved"}).get_json()
    assert asked["state"] == "pending_approval" and asked["approval_id"]
    decided = manager_api.post(f"/api/v1/approvals/{asked['approval_id']}/approve",
                               json={"comment": "同意"})
    assert decided.status_code == 200, decided.get_json()
    assert read(marketing_app, Campaign, big).state == "approved"

    other = marketer_api.post("/api/v1/marketing/campaigns", json={
        "name": "全国巡展", "type": "exhibition", "budget": "300000"}).get_json()["id"]
    approval_id = marketer_api.post(f"/api/v1/marketing/campaigns/{other}/state",
                                    json={"state": "approved"}).get_json()["approval_id"]
    manager_api.post(f"/api/v1/approvals/{approval_id}/reject", json={"comment": "预算过高"})
    after = read(marketing_app, Campaign, other)
    assert after.state == "planned" and after.approval_comment == "预算过高"


def test_the_campaign_page_moves_states_and_shows_cost_lines(marketing_app):
    marketer, marketer_api, _ = _department(marketing_app)
    campaign_id = marketer_api.post("/api/v1/marketing/campaigns", json={
        "name": "电话回访月", "type": "telemarketing", "budget": "2000"}).get_json()["id"]
    page = f"/marketing/campaigns/{campaign_id}"
    shown = marketer.get(page).get_data(as_text=True)
    assert "¥2,000.00" in shown and "Approve" in shown
    moved = marketer.post(f"{page}/state", data={"csrf_token": csrf(marketer, page),
                                                 "state": "approved"})
    assert moved.status_code == 302
    assert read(marketing_app, Campaign, campaign_id).state == "approved"

    new = f"/marketing/costs/new?campaign_id={campaign_id}"
    added = marketer.post("/marketing/costs", data={
        "csrf_token": csrf(marketer, new), "campaign_id": str(campaign_id),
        "spent_on": "2026-03-02", "item": "话务外包", "amount": "2,500.00"})
    assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    shown = marketer.get(page).get_data(as_text=True)
    assert "话务外包" in shown and "¥2,500.00" in shown


def test_a_marketer_sees_only_their_departments_campaigns(marketing_app):
    _, ours, _ = _department(marketing_app)
    _, theirs, _ = _department(marketing_app)
    campaign_id = ours.post("/api/v1/marketing/campaigns", json={
        "name": "华南经销商大会", "type": "event"}).get_json()["id"]
    assert theirs.get(f"/api/v1/marketing/campaigns/{campaign_id}").status_code == 404
    assert theirs.get(f"/api/v1/marketing/campaigns/{campaign_id}/audience").status_code == 404
    assert ours.get(f"/api/v1/marketing/campaigns/{campaign_id}").status_code == 200


def test_the_approval_threshold_is_a_setting(marketing_app):
    from crm_core.toolkit import set_setting

    _approval_definition(marketing_app)
    _, marketer_api, _ = _department(marketing_app)
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        set_setting(session, "marketing.approval_threshold", 200_000)
        session.commit()
        session.close()
    try:
        campaign_id = marketer_api.post("/api/v1/marketing/campaigns", json={
            "name": "行业峰会赞助", "type": "event", "budget": "180000"}).get_json()["id"]
        moved = marketer_api.post(f"/api/v1/marketing/campaigns/{campaign_id}/state",
                                  json={"state": "approved"}).get_json()
        assert moved["state"] == "approved" and moved["approval_id"] is None
    finally:
        with marketing_app.app_context():
            session = marketing_app.extensions["crm_db"].new_session()
            set_setting(session, "marketing.approval_threshold", None)
            session.commit()
            session.close()
