"""Teams, members and SLA policies: kept by administrators (``service.team.manage``,
``service.sla.manage``), refused to agents and managers; the defaults a new install has; a
more specific policy (a request type and a customer level) deciding a ticket's due times."""

from __future__ import annotations

import pytest
from service_testing import csrf, new_request, team

from crm_core.testing_clients import client_as


@pytest.fixture(scope="module")
def admin(service_app):
    return client_as(service_app, superuser=True, api=True)


def test_a_new_install_has_the_default_targets(admin):
    policies = admin.get("/api/v1/service/sla_policies?limit=200").get_json()["items"]
    defaults = {(item["priority"], item["first_response_minutes"], item["resolution_minutes"])
                for item in policies if item["request_type"] == "" and not item["customer_level"]}
    assert defaults >= {("urgent", 60, 240), ("high", 120, 480), ("normal", 240, 1440),
                        ("low", 480, 2400)}


def test_teams_and_members_are_kept_by_administrators_only(service_app, admin):
    world = team(service_app)
    made = admin.post("/api/v1/service/teams", json={
        "name": f"二线支持 {world['tag']}", "department_id": world["department_id"],
        "lead_id": world["agent"].user.id, "assignment_mode": "least_open"})
    assert made.status_code == 201, made.get_json()
    again = admin.post("/api/v1/service/teams", json={
        "name": f"二线支持 {world['tag']}", "department_id": world["department_id"]})
    assert again.status_code == 422 and "name" in again.get_json()["errors"]
    team_id = made.get_json()["id"]
    member = admin.post("/api/v1/service/team_members", json={
        "team_id": team_id, "user_id": world["agent"].user.id})
    assert member.status_code == 201, member.get_json()
    twice = admin.post("/api/v1/service/team_members", json={
        "team_id": team_id, "user_id": world["agent"].user.id})
    assert twice.status_code == 422 and "user_id" in twice.get_json()["errors"]
    page = client_as(service_app, superuser=True).get(f"/service/teams/{team_id}")
    assert world["agent"].user.username in page.get_data(as_text=True)
    manager = client_as(service_app, "manager")
    for client in (world["agent"], manager):
        assert client.get("/service/teams").status_code == 403
        assert client.get(f"/service/teams/{team_id}").status_code == 403
        assert client.get("/service/sla_policies").status_code == 403


def test_a_policy_for_vip_complaints_decides_their_due_times(service_app, admin):
    from plugins.customers.services import update_customer

    world = team(service_app)
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        update_customer(session, world["customer_id"], {"level": "VIP"})
        session.commit()
        session.close()
    level = "VIP"
    made = admin.post("/api/v1/service/sla_policies", json={
        "name": "VIP 投诉", "priority": "high", "request_type": "complaint",
        "customer_level": level, "first_response_minutes": 30, "resolution_minutes": 240})
    assert made.status_code == 201, made.get_json()
    duplicate = admin.post("/api/v1/service/sla_policies", json={
        "name": "重复", "priority": "high", "request_type": "complaint",
        "customer_level": level, "first_response_minutes": 30, "resolution_minutes": 240})
    assert duplicate.status_code == 422 and "priority" in duplicate.get_json()["errors"]
    backwards = admin.post("/api/v1/service/sla_policies", json={
        "name": "倒挂", "priority": "low", "request_type": "suggestion",
        "first_response_minutes": 500, "resolution_minutes": 60})
    assert backwards.status_code == 422
    assert "first_response_minutes" in backwards.get_json()["errors"]
    api = world["agent_api"]
    # Monday 30 November 2026, 09:00 in Beijing: 30 working minutes, then 4 hours with lunch
    complaint = new_request(api, world["customer_id"], received_at="2026-11-30T09:00:00+08:00")
    ticket = api.get(f"/api/v1/service/tickets/{complaint.get_json()['ticket_ids'][0]}")
    assert ticket.get_json()["first_response_due"] == "2026-11-30T01:30:00+00:00"
    assert ticket.get_json()["resolution_due"] == "2026-11-30T06:00:00+00:00"  # 14:00
    inquiry = new_request(api, world["customer_id"], type="inquiry",
                          received_at="2026-11-30T09:00:00+08:00")
    ticket = api.get(f"/api/v1/service/tickets/{inquiry.get_json()['ticket_ids'][0]}")
    assert ticket.get_json()["first_response_due"] == "2026-11-30T03:00:00+00:00"  # high: 2 h


def test_the_policy_form_offers_any_request_type(service_app):
    root = client_as(service_app, superuser=True)
    page = root.get("/service/sla_policies/new").get_data(as_text=True)
    assert '<option value="">Any</option>' in page or 'value="">Any' in page
    added = root.post("/service/sla_policies", data={
        "csrf_token": csrf(root, "/service/sla_policies/new"), "name": "金牌客户",
        "priority": "normal", "request_type": "", "customer_level": "Gold",
        "first_response_minutes": "120", "resolution_minutes": "960", "is_active": "y"},
        follow_redirects=True)
    assert added.status_code == 200 and "金牌客户" in added.get_data(as_text=True)


def test_roles_hold_the_service_permissions_they_need(service_app):
    from crm_core.db import get_session
    from crm_core.rbac.service import user_permission_names

    expected = {
        # an agent sees callers' numbers masked and reveals one at a time (logged)
        "service": {"service.request.view", "service.request.create", "service.request.edit",
                    "service.ticket.view", "service.ticket.create", "service.ticket.edit",
                    "service.request.reveal_sensitive"},
        "viewer": {"service.request.view", "service.ticket.view"},
        "sales": set(),
    }
    expected["manager"] = expected["service"] - {"service.request.reveal_sensitive"} | {
        "service.request.view_sensitive", "service.request.delete", "service.request.export",
        "service.ticket.delete", "service.ticket.export", "service.canned_reply.manage",
        "service.evaluation.create"}
    for role, names in expected.items():
        user = client_as(service_app, role).user
        with service_app.app_context():
            held = {name for name in user_permission_names(get_session(), user.id)
                    if name.startswith("service.")}
        assert held == names, role
