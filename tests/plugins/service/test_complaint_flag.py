"""A complaint flags its customer (customers' flags, shown on the 360° page) while any of
its tickets is open: resolving the last one clears it, reopening raises it again, moving the
request to another customer moves the flag, the trash clears it; an inquiry raises none."""

from __future__ import annotations

import pytest
from service_testing import new_request, team

from crm_core.testing_clients import client_as

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def world(service_app):
    return team(service_app)


def _flags(app, customer_id):
    from plugins.customers import services as customers

    with app.test_request_context():
        from crm_core.toolkit import get_session

        return [(flag["kind"], flag["reference"])
                for flag in customers.open_flags(get_session(), customer_id)]


def _move(api, ticket_id, *states, assignee_id=None):
    for state in states:
        body = {"state": state, **({"assignee_id": assignee_id} if state == "assigned" else {})}
        answer = api.post(f"/api/v1/service/tickets/{ticket_id}/state", json=body)
        assert answer.status_code == 200, answer.get_json()


def test_a_complaint_flags_its_customer_until_its_ticket_is_resolved(service_app, world):
    api, agent = world["agent_api"], world["agent"].user
    made = new_request(api, world["customer_id"]).get_json()
    assert ("service.complaint", made["number"]) in _flags(service_app, world["customer_id"])
    page = world["agent"].get(f"/customers/{world['customer_id']}", headers=EN)
    assert "Open complaint" in page.get_data(as_text=True)
    ticket_id = made["ticket_ids"][0]
    _move(api, ticket_id, "assigned", "in_progress", "resolved", assignee_id=agent.id)
    assert ("service.complaint", made["number"]) not in _flags(service_app,
                                                               world["customer_id"])
    _move(api, ticket_id, "in_progress")  # reopened
    assert ("service.complaint", made["number"]) in _flags(service_app, world["customer_id"])


def test_an_inquiry_raises_no_flag(service_app, world):
    made = new_request(world["agent_api"], world["agent_customer_id"], type="inquiry")
    assert made.status_code == 201
    assert _flags(service_app, world["agent_customer_id"]) == []


def test_the_flag_follows_the_request_to_another_customer_and_leaves_with_the_trash(
        service_app):
    world = team(service_app)
    api = world["agent_api"]
    made = new_request(api, world["customer_id"]).get_json()
    moved = api.patch(f"/api/v1/service/requests/{made['id']}",
                      json={"customer_id": world["agent_customer_id"]})
    assert moved.status_code == 200, moved.get_json()
    assert _flags(service_app, world["customer_id"]) == []
    assert _flags(service_app, world["agent_customer_id"]) == [("service.complaint",
                                                                made["number"])]
    admin = client_as(service_app, None, superuser=True, api=True)  # agents may not delete
    assert admin.delete(f"/api/v1/service/requests/{made['id']}").status_code in (200, 204)
    assert _flags(service_app, world["agent_customer_id"]) == []
