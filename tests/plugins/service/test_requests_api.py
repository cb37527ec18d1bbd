"""Entering a service request through the API: it is numbered, opens its first ticket in the
agent's team, and the ticket is due by the SLA policy on the working calendar (China's
holidays skipped); bad input is refused naming the field."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from service_testing import new_request, read, team

from plugins.service.models import ServiceRequest, Ticket


@pytest.fixture(scope="module")
def world(service_app):
    return team(service_app)


def test_a_request_answers_201_with_its_first_ticket_due_after_national_day(world):
    api = world["agent_api"]
    made = new_request(api, world["customer_id"], received_at="2026-09-30T17:00:00+08:00")
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert re.fullmatch(r"SR\d{6}-\d{4}", body["number"])
    assert body["type"] == "complaint" and body["received_at"] == "2026-09-30T09:00:00+00:00"
    assert len(body["ticket_ids"]) == 1
    ticket = api.get(f"/api/v1/service/tickets/{body['ticket_ids'][0]}").get_json()
    assert ticket["state"] == "new" and ticket["assignee_id"] is None
    assert ticket["team_id"] == world["team_id"] and ticket["priority"] == "high"
    # high: first response in 2 working hours, resolution in 8. 17:00–18:00 on 30 September
    # counts one hour; 1–7 October are the National Day holiday; 8 October is a working day
    assert ticket["first_response_due"] == "2026-10-08T02:00:00+00:00"  # 10:00 in Beijing
    assert ticket["resolution_due"] == "2026-10-08T09:00:00+00:00"  # 17:00 in Beijing
    assert ticket["sla_state"] == "breached"  # long past, and nobody answered
    row = read(api.application, Ticket, ticket["id"])
    assert row.number == f"{body['number']}-1" and row.department_id == world["department_id"]


def test_numbers_follow_each_other_and_default_to_now_and_normal(world):
    api = world["agent_api"]
    first = new_request(api, world["customer_id"]).get_json()
    second = api.post("/api/v1/service/requests", json={
        "customer_id": world["customer_id"], "type": "inquiry", "subject": "发票怎么开"}).get_json()
    assert int(second["number"][-4:]) == int(first["number"][-4:]) + 1
    received = dt.datetime.fromisoformat(second["received_at"])
    assert abs(received - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    ticket = api.get(f"/api/v1/service/tickets/{second['ticket_ids'][0]}").get_json()
    assert ticket["priority"] == "normal" and ticket["sla_state"] == "ok"
    due = dt.datetime.fromisoformat(ticket["resolution_due"])
    assert due > received + dt.timedelta(hours=24)  # 24 working hours are 3 working days


@pytest.mark.parametrize(("change", "field"), [
    ({"type": "praise"}, "type"),
    ({"channel": "fax"}, "channel"),
    ({"priority": "whenever"}, "priority"),
    ({"subject": ""}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"received_at": "2026-09-30T17:00:00"}, "received_at"),  # no offset
    ({"received_at": "2999-01-01T00:00:00+08:00"}, "received_at"),  # in the future
    ({"received_at": "0001-01-01T00:00:00+14:00"}, "received_at"),  # before year 1 in UTC
    ({"customer_id": 2_000_000_000}, "customer_id"),
    ({"customer_id": "abc"}, "customer_id"),
])
def test_bad_input_is_refused_naming_the_field(world, change, field):
    answer = new_request(world["agent_api"], **{"customer_id": world["customer_id"], **change})
    assert answer.status_code == 422, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert field in answer.get_json()["errors"]


def test_an_agent_enters_a_request_for_anyones_customer_but_not_an_unknown_one(service_app,
                                                                               world):
    other = team(service_app)  # a caller may be another team's customer: agents see them all
    answer = new_request(world["agent_api"], other["customer_id"])
    assert answer.status_code == 201, answer.get_json()
    unknown = new_request(world["agent_api"], 10**6)
    assert unknown.status_code == 422 and "customer_id" in unknown.get_json()["errors"]


def test_another_ticket_for_a_request_and_a_priority_change_move_the_due_times(world):
    api = world["agent_api"]
    made = new_request(api, world["customer_id"], priority="low",
                       received_at="2026-12-01T09:00:00+08:00").get_json()
    second = api.post("/api/v1/service/tickets", json={"request_id": made["id"],
                                                       "subject": "上门检修"})
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["number"] == f"{made['number']}-2"
    assert api.get(f"/api/v1/service/requests/{made['id']}").get_json()["ticket_ids"] == [
        made["ticket_ids"][0], second.get_json()["id"]]
    first_id = made["ticket_ids"][0]
    low = api.get(f"/api/v1/service/tickets/{first_id}").get_json()
    # low: 8 working hours to answer: Tuesday 1 December 09:00 → 18:00 the same day
    assert low["first_response_due"] == "2026-12-01T10:00:00+00:00"
    urgent = api.patch(f"/api/v1/service/tickets/{first_id}", json={"priority": "urgent"})
    assert urgent.status_code == 200, urgent.get_json()
    # urgent: 1 hour to answer, 4 to resolve, from the same receipt
    assert urgent.get_json()["first_response_due"] == "2026-12-01T02:00:00+00:00"
    assert urgent.get_json()["resolution_due"] == "2026-12-01T06:00:00+00:00"


def test_deleting_a_request_moves_it_and_its_tickets_to_the_trash(service_app, world):
    api = world["agent_api"]
    made = new_request(api, world["customer_id"]).get_json()
    assert api.delete(f"/api/v1/service/requests/{made['id']}").status_code == 403
    from crm_core.testing_clients import client_as

    manager = client_as(service_app, "manager", api=True)
    assert manager.delete(f"/api/v1/service/requests/{made['id']}").status_code == 404
    admin = client_as(service_app, superuser=True, api=True)
    assert admin.delete(f"/api/v1/service/requests/{made['id']}").status_code == 204
    assert read(service_app, ServiceRequest, made["id"]).deleted_at is not None
    assert read(service_app, Ticket, made["ticket_ids"][0]).deleted_at is not None
    assert api.get(f"/api/v1/service/tickets/{made['ticket_ids'][0]}").status_code == 404
