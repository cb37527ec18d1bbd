"""The service widgets on the dashboard: open tickets by state with a series per priority,
and each agent's open tickets (the unassigned ones apart); an agent counts only their team's
tickets, never another team's; resolved tickets are not open."""

from __future__ import annotations

import pytest
from service_testing import new_request, team


@pytest.fixture(scope="module")
def teams(service_app):
    return team(service_app), team(service_app)


def _widget(client, widget_id):
    answer = client.get(f"/api/v1/widgets/{widget_id}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["data"]


def _move(api, ticket_id, *states, assignee_id=None):
    for state in states:
        answer = api.post(f"/api/v1/service/tickets/{ticket_id}/state",
                          json={"state": state, "assignee_id": assignee_id})
        assert answer.status_code == 200, answer.get_json()


def test_open_tickets_by_state_and_priority_and_the_agents_workload(service_app, teams):
    mine, other = teams
    api, agent = mine["agent_api"], mine["agent"].user
    made = [new_request(api, mine["customer_id"], priority=priority).get_json()["ticket_ids"][0]
            for priority in ("urgent", "high", "high", "low")]
    _move(api, made[0], "assigned", assignee_id=agent.id)
    _move(api, made[1], "assigned", "in_progress", assignee_id=agent.id)
    _move(api, made[3], "assigned", "in_progress", "resolved", assignee_id=agent.id)
    for _ in range(3):  # another team's: never counted for this one
        new_request(other["agent_api"], other["customer_id"], priority="urgent")

    data = _widget(mine["agent"], "service.open_tickets")
    assert data["labels"][:3] == ["New", "Assigned", "In progress"]
    by_priority = {series["name"]: series["values"] for series in data["series"]}
    assert by_priority["Urgent"] == [0, 1, 0, 0]  # the other team's three are not here
    assert by_priority["High"] == [1, 0, 1, 0]
    assert by_priority["Low"] == [0, 0, 0, 0]  # resolved: no longer open

    load = _widget(mine["agent"], "service.workload")
    name = agent.display_name or agent.username
    assert dict(zip(load["labels"], load["values"], strict=True)) == {name: 2, "Unassigned": 1}


def test_the_widgets_need_the_ticket_permission(service_app):
    from crm_core.testing_clients import client_as

    outsider = client_as(service_app, "sales")
    assert outsider.get("/api/v1/widgets/service.open_tickets").status_code in (403, 404)
