"""Reopening a resolved ticket: within ``service.reopen_days`` days (7 unless the
administrator sets otherwise on the service level settings page) it is in progress again
with its clocks moved by the time it spent resolved; later the move is refused with a
message saying to enter a new request, and the daily beat closes it."""

from __future__ import annotations

import datetime as dt

import pytest
from service_testing import csrf, new_request, read, team

from crm_core.testing_clients import client_as
from plugins.service.models import Ticket

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def world(service_app):
    return team(service_app)


@pytest.fixture
def move(world, monkeypatch):
    """``move(ticket_id, state, when)``: the API's answer to the move made at ``when``."""
    import plugins.service.tickets.states as states

    def _move(ticket_id: int, state: str, when: dt.datetime, **more):
        monkeypatch.setattr(states, "utcnow", lambda: when.astimezone(dt.UTC))
        return world["agent_api"].post(f"/api/v1/service/tickets/{ticket_id}/state",
                                       json={"state": state, **more})
    return _move


def _resolved(world, move, when: dt.datetime) -> int:
    made = new_request(world["agent_api"], world["customer_id"], priority="urgent",
                       received_at=(when - dt.timedelta(hours=1)).isoformat())
    ticket_id = made.get_json()["ticket_ids"][0]
    for state in ("assigned", "in_progress", "resolved"):
        answer = move(ticket_id, state, when, assignee_id=world["agent"].user.id)
        assert answer.status_code == 200, answer.get_json()
    return ticket_id


def _set_reopen_days(service_app, days):
    page = client_as(service_app, superuser=True)
    token = csrf(page, "/service/sla_settings")
    return page.post("/service/sla_settings", data={"csrf_token": token, "reopen_days": days})


def test_a_ticket_reopened_within_the_window_gets_the_time_it_spent_resolved(
        service_app, world, move):
    # urgent, received Monday 12 October 10:00: resolution due 15:00; resolved at 11:00
    ticket_id = _resolved(world, move, at(10, 12, 11))
    assert read(service_app, Ticket, ticket_id).sla_state == "met"
    from plugins.service.tickets.due import sla_state_now

    reopened = move(ticket_id, "in_progress", at(10, 15, 11))  # three working days later
    assert reopened.status_code == 200, reopened.get_json()
    stored = read(service_app, Ticket, ticket_id)
    assert stored.resolution_due.replace(tzinfo=dt.UTC) == at(10, 15, 15)
    assert sla_state_now(stored, now=at(10, 15, 11, 5)) == "ok"  # not breached on the spot

    fresh = _resolved(world, move, dt.datetime.now(dt.UTC))  # the page reads the real clock
    page = world["agent"].get(f"/service/tickets/{fresh}").get_data(as_text=True)
    assert "Can be reopened until" in page and 'value="in_progress"' in page


def test_a_reopen_after_the_window_is_refused_then_the_beat_closes_the_ticket(
        service_app, world, move):
    from crm_core.toolkit import get_session
    from plugins.service.sla.closing import auto_close

    ticket_id = _resolved(world, move, at(10, 13, 11))
    late = move(ticket_id, "in_progress", at(10, 21, 11))
    assert late.status_code == 422
    assert late.get_json()["errors"]["state"] == [
        "Resolved more than 7 days ago: enter a new request."]
    assert read(service_app, Ticket, ticket_id).state == "resolved"
    page = world["agent"].get(f"/service/tickets/{ticket_id}").get_data(as_text=True)
    assert "Resolved more than 7 days ago: enter a new request." in page
    assert 'value="in_progress"' not in page and 'value="closed"' in page

    try:
        assert _set_reopen_days(service_app, 10).status_code == 302
        assert _set_reopen_days(service_app, 0).status_code == 400  # at least a day
        with service_app.test_request_context():
            session = get_session()
            assert auto_close(session, now=at(10, 21, 11)) >= 0
            session.commit()
        assert read(service_app, Ticket, ticket_id).state == "resolved"  # 8 days < 10
    finally:
        assert _set_reopen_days(service_app, 7).status_code == 302

    with service_app.test_request_context():
        session = get_session()
        assert auto_close(session, now=at(10, 21, 11)) >= 1
        session.commit()
    closed = read(service_app, Ticket, ticket_id)
    assert closed.state == "closed" and closed.closed_at is not None
