"""Automatic assignment: round robin gives each new ticket to the available member assigned
longest ago, fewest open tickets to the one holding the least; a team assigned by hand
leaves tickets new. The assignee is told, the ticket's history says how it came to them,
and a reassignment is written and told the same way (API, page, ``crm service assign``)."""

from __future__ import annotations

import pytest
from service_testing import csrf, new_request, read, team
from sqlalchemy import select, update

from crm_core.testing_clients import client_as
from plugins.service.models import Team, TeamMember, Ticket


def _set(app, model, row_id, **values):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        session.execute(update(model).where(model.id == row_id).values(**values))
        session.commit()
        session.close()


def _notices(app, user_id, ticket_id):
    from crm_core.notifications.models import Notification

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = list(session.scalars(select(Notification.kind).where(
            Notification.user_id == user_id,
            Notification.link == f"/service/tickets/{ticket_id}")))
        session.close()
    return found


def _history(app, ticket_id):
    from crm_core.audit.models import AuditEntry

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = [(entry.action, str(entry.message)) for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.model == "service_ticket",
                                     AuditEntry.record_id == str(ticket_id),
                                     AuditEntry.action == "assign")
            .order_by(AuditEntry.id))]
        session.close()
    return found


def _new_ticket(world, **more):
    answer = new_request(world["agent_api"], world["customer_id"], **more)
    assert answer.status_code == 201, answer.get_json()
    return read(world["agent_api"].application, Ticket, answer.get_json()["ticket_ids"][0])


@pytest.fixture(scope="module")
def world(service_app):
    return team(service_app)


def test_round_robin_gives_each_new_ticket_to_the_available_member_idle_longest(
        service_app, world):
    _set(service_app, Team, world["team_id"], assignment_mode="round_robin")
    agent, agent_api = world["agent"].user, world["agent_api"].user
    got = [_new_ticket(world) for _ in range(3)]
    # never assigned first (by membership), then the one assigned longest ago
    assert [(ticket.state, ticket.assignee_id) for ticket in got] == [
        ("assigned", agent.id), ("assigned", agent_api.id), ("assigned", agent.id)]
    assert _notices(service_app, agent.id, got[0].id) == ["service.ticket_assigned"]
    assert _notices(service_app, agent_api.id, got[1].id) == []  # they entered it
    assert "round robin" in _history(service_app, got[0].id)[0][1]
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        member_id = session.scalar(select(TeamMember.id).where(
            TeamMember.team_id == world["team_id"], TeamMember.user_id == agent_api.id))
        session.close()
    _set(service_app, TeamMember, member_id, available=False)
    try:
        assert _new_ticket(world).assignee_id == agent.id  # agent_api's turn, not available
    finally:
        _set(service_app, TeamMember, member_id, available=True)
        _set(service_app, Team, world["team_id"], assignment_mode="manual")


def test_fewest_open_tickets_picks_the_least_busy_member(service_app):
    busy = team(service_app)
    agent, agent_api = busy["agent"].user, busy["agent_api"].user
    for _ in range(2):  # agent holds two open tickets, given by hand
        ticket = _new_ticket(busy)
        assert busy["agent_api"].post(f"/api/v1/service/tickets/{ticket.id}/assign",
                                      json={"assignee_id": agent.id}).status_code == 200
    _set(service_app, Team, busy["team_id"], assignment_mode="least_open")
    assert _new_ticket(busy).assignee_id == agent_api.id
    assert _new_ticket(busy).assignee_id == agent_api.id  # 2 against 1: still agent_api
    third = _new_ticket(busy)  # 2 against 2: the one assigned longest ago (never: agent)
    assert third.assignee_id == agent.id


def test_a_team_assigned_by_hand_leaves_new_tickets_to_its_lead(service_app, world):
    ticket = _new_ticket(world)
    assert (ticket.state, ticket.assignee_id) == ("new", None)
    assert _history(service_app, ticket.id) == []


def test_reassigning_is_in_the_history_and_tells_the_new_assignee(service_app, world):
    api, agent, agent_api = world["agent_api"], world["agent"].user, world["agent_api"].user
    ticket = _new_ticket(world)
    moved = api.post(f"/api/v1/service/tickets/{ticket.id}/state",
                     json={"state": "assigned", "assignee_id": agent_api.id})
    assert moved.status_code == 200
    assert _notices(service_app, agent_api.id, ticket.id) == []  # they did it themselves
    again = api.post(f"/api/v1/service/tickets/{ticket.id}/assign",
                     json={"assignee_id": agent.id, "version": moved.get_json()["version"]})
    assert again.status_code == 200 and again.get_json()["assignee_id"] == agent.id
    assert _notices(service_app, agent.id, ticket.id) == ["service.ticket_assigned"]
    history = [message for _action, message in _history(service_app, ticket.id)]
    assert history[0].startswith("Assigned to ") and history[1].startswith("Reassigned from ")
    page = world["agent"].get(f"/service/tickets/{ticket.id}").get_data(as_text=True)
    assert "Reassigned from" in page and "Give it to" in page
    stale = api.post(f"/api/v1/service/tickets/{ticket.id}/assign",
                     json={"assignee_id": agent_api.id, "version": 1})
    assert stale.status_code == 409
    ghost = api.post(f"/api/v1/service/tickets/{ticket.id}/assign",
                     json={"assignee_id": 2_000_000_000})
    assert ghost.status_code == 422 and "assignee_id" in ghost.get_json()["errors"]


def test_assign_automatically_from_the_page_and_the_command_line(service_app, world):
    agent = world["agent"]
    first, second = _new_ticket(world), _new_ticket(world)
    page = agent.get(f"/service/tickets/{first.id}").get_data(as_text=True)
    assert "Assign automatically" in page
    done = agent.post(f"/service/tickets/{first.id}/assign", data={
        "csrf_token": csrf(agent, f"/service/tickets/{first.id}")}, follow_redirects=True)
    assert done.status_code == 200
    assert read(service_app, Ticket, first.id).state == "assigned"
    runner = service_app.test_cli_runner()
    result = runner.invoke(args=["service", "assign", "--ticket", str(second.id)])
    assert result.exit_code == 0, result.output
    assert read(service_app, Ticket, second.id).assignee_id is not None
    refused = runner.invoke(args=["service", "assign", "--ticket", str(second.id)])
    assert refused.exit_code != 0 and "assigned already" in refused.output


def test_an_agent_of_another_department_cannot_assign_our_ticket(service_app, world):
    ticket = _new_ticket(world)
    outsider = client_as(service_app, "service", department="Elsewhere assign", api=True)
    assert outsider.post(f"/api/v1/service/tickets/{ticket.id}/assign",
                         json={"assignee_id": outsider.user.id}).status_code == 404
    assert read(service_app, Ticket, ticket.id).assignee_id is None
