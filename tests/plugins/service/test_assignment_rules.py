"""Assignment rules: the first active rule matching a new ticket's request type, priority and
customer level routes it to its team (and to the rule's member, when it names one); the
administrator's form and API refuse a rule without a team or with a member from elsewhere."""

from __future__ import annotations

import uuid

import pytest
from service_testing import csrf, new_request, read, team
from sqlalchemy import update

from crm_core.testing_clients import client_as
from plugins.customers.models import Customer
from plugins.service.models import Ticket


@pytest.fixture(scope="module")
def worlds(service_app):
    level = f"钻石-{uuid.uuid4().hex[:6]}"  # only this module's customer has it
    ours, theirs = team(service_app), team(service_app)
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        session.execute(update(Customer).where(Customer.id == ours["customer_id"])
                        .values(level=level))
        session.commit()
        session.close()
    admin = client_as(service_app, "admin", api=True)
    return {"ours": ours, "theirs": theirs, "level": level, "admin": admin}


def _ticket(world, **more):
    answer = new_request(world["agent_api"], world["customer_id"], **more)
    assert answer.status_code == 201, answer.get_json()
    return read(world["agent_api"].application, Ticket, answer.get_json()["ticket_ids"][0])


def test_a_matching_rule_routes_the_ticket_to_its_team_and_member(worlds):
    ours, theirs, admin = worlds["ours"], worlds["theirs"], worlds["admin"]
    member = theirs["agent"].user
    made = admin.post("/api/v1/service/assignment_rules", json={
        "position": 10, "request_type": "complaint", "priority": "urgent",
        "customer_level": worlds["level"], "team_id": theirs["team_id"],
        "assignee_id": member.id, "is_active": True})
    assert made.status_code == 201, made.get_json()
    routed = _ticket(ours, priority="urgent")
    assert (routed.team_id, routed.department_id, routed.assignee_id, routed.state) == (
        theirs["team_id"], theirs["department_id"], member.id, "assigned")
    # another priority matches no rule: the author's department's team, assigned by hand
    kept = _ticket(ours, priority="normal")
    assert (kept.team_id, kept.assignee_id, kept.state) == (ours["team_id"], None, "new")
    # a team chosen by the caller is not rerouted
    chosen = _ticket(ours, priority="urgent", team_id=ours["team_id"])
    assert chosen.team_id == ours["team_id"]
    assert admin.patch(f"/api/v1/service/assignment_rules/{made.get_json()['id']}",
                       json={"is_active": False}).status_code == 200
    assert _ticket(ours, priority="urgent").team_id == ours["team_id"]


def test_a_rule_without_a_member_leaves_the_pick_to_the_teams_mode(worlds):
    ours, theirs, admin = worlds["ours"], worlds["theirs"], worlds["admin"]
    made = admin.post("/api/v1/service/assignment_rules", json={
        "position": 20, "request_type": "", "priority": "", "team_id": theirs["team_id"],
        "customer_level": worlds["level"]})
    assert made.status_code == 201, made.get_json()
    routed = _ticket(ours, priority="low", type="inquiry")
    assert (routed.team_id, routed.assignee_id, routed.state) == (
        theirs["team_id"], None, "new")  # their team assigns by hand
    admin.delete(f"/api/v1/service/assignment_rules/{made.get_json()['id']}")


def test_the_rule_form_names_what_is_wrong(service_app, worlds):
    ours, theirs = worlds["ours"], worlds["theirs"]
    page = client_as(service_app, "admin")
    form = page.get("/service/assignment_rules/new").get_data(as_text=True)
    assert 'name="team_id"' in form and "Any" in form
    token = csrf(page, "/service/assignment_rules/new")
    base = {"csrf_token": token, "position": "5", "request_type": "", "priority": "",
            "customer_level": worlds["level"], "is_active": "y"}
    no_team = page.post("/service/assignment_rules", data={**base, "team_id": ""})
    assert no_team.status_code == 400
    assert "This field is required." in no_team.get_data(as_text=True)
    stranger = page.post("/service/assignment_rules", data={
        **base, "team_id": str(ours["team_id"]), "assignee_id": str(theirs["agent"].user.id)})
    assert "Choose a member of the team, or nobody." in stranger.get_data(as_text=True)
    api = worlds["admin"].post("/api/v1/service/assignment_rules", json={
        "team_id": ours["team_id"], "assignee_id": theirs["agent"].user.id})
    assert api.status_code == 422 and "assignee_id" in api.get_json()["errors"]
    agent = ours["agent"]
    assert agent.get("/service/assignment_rules").status_code == 403
