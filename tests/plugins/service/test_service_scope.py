"""Teams see their own tickets and requests: another team's agent gets 404 on every path of
a ticket (page, edit form, API get, change and state move, the page's state form) and of a
request, and never finds it in a list; the department's manager sees both."""

from __future__ import annotations

import pytest
from service_testing import csrf, new_request, read, team

from crm_core.testing_clients import client_as
from plugins.service.models import Ticket


@pytest.fixture(scope="module")
def worlds(service_app):
    ours, theirs = team(service_app), team(service_app)
    made = new_request(ours["agent_api"], ours["customer_id"], subject="东区的秘密投诉")
    assert made.status_code == 201
    return ours, theirs, made.get_json()


def test_another_teams_agent_gets_404_on_every_path_of_a_ticket(service_app, worlds):
    ours, theirs, made = worlds
    ticket_id, request_id = made["ticket_ids"][0], made["id"]
    page, api = theirs["agent"], theirs["agent_api"]
    for url in (f"/service/tickets/{ticket_id}", f"/service/tickets/{ticket_id}/edit",
                f"/service/requests/{request_id}", f"/service/requests/{request_id}/edit",
                f"/api/v1/service/tickets/{ticket_id}", f"/api/v1/service/requests/{request_id}"):
        client = api if url.startswith("/api/") else page
        assert client.get(url).status_code == 404, url
    token = csrf(page, "/service/tickets")
    assert page.post(f"/service/tickets/{ticket_id}/state", data={
        "csrf_token": token, "state": "assigned",
        "assignee_id": str(page.user.id)}).status_code == 404
    assert page.post(f"/service/tickets/{ticket_id}/edit", data={
        "csrf_token": token, "subject": "改掉", "priority": "low"}).status_code == 404
    assert api.post(f"/api/v1/service/tickets/{ticket_id}/state", json={
        "state": "assigned", "assignee_id": api.user.id}).status_code == 404
    assert api.patch(f"/api/v1/service/tickets/{ticket_id}",
                     json={"subject": "改掉"}).status_code == 404
    assert api.patch(f"/api/v1/service/requests/{request_id}",
                     json={"subject": "改掉"}).status_code == 404
    assert api.post("/api/v1/service/tickets", json={"request_id": request_id}) \
        .status_code == 422  # a request they may not see names nothing
    row = read(service_app, Ticket, ticket_id)
    assert (row.state, row.subject, row.assignee_id) == ("new", "东区的秘密投诉", None)


def test_lists_show_a_team_only_its_own(worlds):
    ours, theirs, made = worlds
    for list_url in ("/api/v1/service/tickets?limit=200", "/api/v1/service/requests?limit=200"):
        mine = [item["id"] for item in ours["agent_api"].get(list_url).get_json()["items"]]
        other = [item["id"] for item in theirs["agent_api"].get(list_url).get_json()["items"]]
        assert mine and not set(mine) & set(other)
    page = theirs["agent"].get("/service/tickets?q=秘密").get_data(as_text=True)
    assert "东区的秘密投诉" not in page
    assert "东区的秘密投诉" in ours["agent"].get("/service/tickets").get_data(as_text=True)


def test_the_departments_manager_sees_its_teams_tickets(service_app, worlds):
    ours, _theirs, made = worlds
    from crm_core.db import get_session
    from crm_core.rbac.departments import get_department

    with service_app.app_context():
        name = get_department(get_session(), ours["department_id"]).name
    manager = client_as(service_app, "manager", department=name, api=True)
    assert manager.get(f"/api/v1/service/tickets/{made['ticket_ids'][0]}").status_code == 200
    assert manager.get(f"/api/v1/service/requests/{made['id']}").status_code == 200


def test_an_assignee_of_another_department_sees_the_ticket_assigned_to_them(worlds):
    ours, theirs, _made = worlds
    ticket_id = new_request(ours["agent_api"], ours["customer_id"]).get_json()["ticket_ids"][0]
    outsider = theirs["agent_api"]
    assert outsider.get(f"/api/v1/service/tickets/{ticket_id}").status_code == 404
    assert ours["agent_api"].post(f"/api/v1/service/tickets/{ticket_id}/state", json={
        "state": "assigned", "assignee_id": outsider.user.id}).status_code == 200
    assert outsider.get(f"/api/v1/service/tickets/{ticket_id}").status_code == 200
