"""A ticket's states through ``POST /api/v1/service/tickets/<id>/state``: the allowed path
new → assigned → in progress → waiting on customer → resolved → closed with a reopen,
refusals naming the field, a stale version answering 409, the SLA attainment stored on
resolving, every move in the operation log; and the same moves from the ticket's page."""

from __future__ import annotations

import json

import pytest
from service_testing import new_request, read, team
from sqlalchemy import select

from crm_core.toolkit import hookimpl
from plugins.service.models import Ticket


@pytest.fixture(scope="module")
def world(service_app):
    return team(service_app)


def _ticket(world, **more):
    made = new_request(world["agent_api"], world["customer_id"], **more).get_json()
    return made["ticket_ids"][0]


def _move(api, ticket_id, state, **more):
    return api.post(f"/api/v1/service/tickets/{ticket_id}/state", json={"state": state, **more})


def test_a_ticket_walks_its_states_and_stores_the_sla_it_met(world):
    api, agent = world["agent_api"], world["agent"].user
    ticket_id = _ticket(world, priority="normal")
    assigned = _move(api, ticket_id, "assigned", assignee_id=agent.id)
    assert assigned.status_code == 200, assigned.get_json()
    assert (assigned.get_json()["state"], assigned.get_json()["assignee_id"]) == (
        "assigned", agent.id)
    version = assigned.get_json()["version"]
    for state in ("in_progress", "waiting_on_customer", "in_progress", "resolved"):
        moved = _move(api, ticket_id, state, version=version)
        assert moved.status_code == 200, (state, moved.get_json())
        version = moved.get_json()["version"]
    resolved = moved.get_json()
    assert resolved["state"] == "resolved" and resolved["sla_state"] == "met"
    assert resolved["first_responded_at"] and resolved["resolved_at"]
    reopened = _move(api, ticket_id, "in_progress")
    assert reopened.get_json()["state"] == "in_progress"
    assert reopened.get_json()["resolved_at"] is None and reopened.get_json()["sla_state"] == "ok"
    _move(api, ticket_id, "resolved")
    closed = _move(api, ticket_id, "closed")
    assert closed.get_json()["state"] == "closed" and closed.get_json()["closed_at"]
    again = _move(api, ticket_id, "in_progress")
    assert again.status_code == 422 and "state" in again.get_json()["errors"]


def test_moves_the_states_do_not_allow_are_refused_naming_the_field(world):
    api = world["agent_api"]
    ticket_id = _ticket(world)
    skipped = _move(api, ticket_id, "resolved")
    assert skipped.status_code == 422 and skipped.mimetype == "application/problem+json"
    assert "cannot become resolved" in skipped.get_json()["errors"]["state"][0]
    unknown = _move(api, ticket_id, "lost")
    assert unknown.status_code == 422 and "state" in unknown.get_json()["errors"]
    nobody = _move(api, ticket_id, "assigned")
    assert nobody.status_code == 422 and "assignee_id" in nobody.get_json()["errors"]
    ghost = _move(api, ticket_id, "assigned", assignee_id=2_000_000_000)
    assert ghost.status_code == 422 and "assignee_id" in ghost.get_json()["errors"]
    assert read(api.application, Ticket, ticket_id).state == "new"


def test_a_stale_version_is_a_conflict(world):
    api, agent = world["agent_api"], world["agent"].user
    ticket_id = _ticket(world)
    seen = api.get(f"/api/v1/service/tickets/{ticket_id}").get_json()["version"]
    assert _move(api, ticket_id, "assigned", assignee_id=agent.id,
                 version=seen).status_code == 200
    stale = _move(api, ticket_id, "in_progress", version=seen)
    assert stale.status_code == 409 and stale.mimetype == "application/problem+json"
    assert read(api.application, Ticket, ticket_id).state == "assigned"


def test_a_late_resolution_is_stored_as_missed(world):
    api, agent = world["agent_api"], world["agent"].user
    ticket_id = _ticket(world, priority="urgent", received_at="2026-06-01T09:00:00+08:00")
    _move(api, ticket_id, "assigned", assignee_id=agent.id)
    _move(api, ticket_id, "in_progress")
    assert _move(api, ticket_id, "resolved").get_json()["sla_state"] == "missed"


def test_every_move_is_in_the_operation_log(service_app, world):
    from crm_core.audit.models import AuditEntry

    api, agent = world["agent_api"], world["agent"].user
    ticket_id = _ticket(world)
    _move(api, ticket_id, "assigned", assignee_id=agent.id)
    _move(api, ticket_id, "in_progress")
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.model == "service_ticket", AuditEntry.record_id == str(ticket_id))
            .order_by(AuditEntry.id)).all()
        changes = [json.loads(entry.changes) for entry in entries]
        session.close()
    states = [(change["state"]["old"], change["state"]["new"]) for change in changes
              if "state" in change and "old" in change["state"]]
    assert states == [("new", "assigned"), ("assigned", "in_progress")]
    assert all(entry.user_id == world["agent_api"].user.id for entry in entries[1:])


def test_the_ticket_page_moves_the_state_with_its_buttons(service_app, world):
    from service_testing import csrf

    agent = world["agent"]
    ticket_id = _ticket(world)
    page = agent.get(f"/service/tickets/{ticket_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="state" value="assigned"' in html
    assert f'<option value="{agent.user.id}"' in html  # the team's members to assign to
    token = csrf(agent, f"/service/tickets/{ticket_id}")
    moved = agent.post(f"/service/tickets/{ticket_id}/state", data={
        "csrf_token": token, "state": "assigned", "assignee_id": str(agent.user.id)},
        follow_redirects=True)
    assert moved.status_code == 200 and read(service_app, Ticket, ticket_id).state == "assigned"
    refused = agent.post(f"/service/tickets/{ticket_id}/state", data={
        "csrf_token": token, "state": "closed"}, follow_redirects=True)
    assert "cannot become closed" in refused.get_data(as_text=True)
    assert read(service_app, Ticket, ticket_id).state == "assigned"


class Listener:
    """Another plugin listening to the service events."""

    def __init__(self):
        self.heard = []

    @hookimpl
    def ticket_created(self, ticket_id, request_type):
        self.heard.append(("created", ticket_id, request_type))

    @hookimpl
    def ticket_resolved(self, ticket_id, sla_state):
        self.heard.append(("resolved", ticket_id, sla_state))

    @hookimpl
    def ticket_reopened(self, ticket_id, customer_id):
        self.heard.append(("reopened", ticket_id))
        raise RuntimeError("a broken listener never stops the move")


def test_other_plugins_hear_tickets_created_resolved_and_reopened(service_app, world):
    api, agent = world["agent_api"], world["agent"].user
    listener = Listener()
    manager = service_app.extensions["crm"].pm
    manager.register(listener, name="service-test-listener")
    try:
        ticket_id = _ticket(world, type="suggestion")
        for state in ("assigned", "in_progress", "resolved", "in_progress"):
            moved = _move(api, ticket_id, state, assignee_id=agent.id)
            assert moved.status_code == 200, moved.get_json()
    finally:
        manager.unregister(listener)
    assert listener.heard == [("created", ticket_id, "suggestion"),
                              ("resolved", ticket_id, "met"), ("reopened", ticket_id)]
    assert read(service_app, Ticket, ticket_id).state == "in_progress"
