"""The SLA clocks stand still while a ticket waits on the customer: the sweep neither warns
nor breaches it meanwhile, the page says the clock is paused, and leaving the wait moves the
due and warning times later by the *working* time spent waiting (a National Day week in
between counts nothing), so resolving counts the pause. The moves happen at chosen moments
(the state service's clock is set by the test)."""

from __future__ import annotations

import datetime as dt

import pytest
from service_testing import new_request, read, team

from plugins.service.models import Ticket

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None \
        else moment


@pytest.fixture(scope="module")
def world(service_app):
    return team(service_app)


@pytest.fixture
def move(world, monkeypatch):
    """``move(ticket_id, state, when)``: the move made at ``when``."""
    import plugins.service.tickets.states as states

    def _move(ticket_id: int, state: str, when: dt.datetime, **more):
        monkeypatch.setattr(states, "utcnow", lambda: when.astimezone(dt.UTC))
        answer = world["agent_api"].post(f"/api/v1/service/tickets/{ticket_id}/state",
                                         json={"state": state, **more})
        assert answer.status_code == 200, (state, answer.get_json())
        return answer.get_json()
    return _move


def _sweep(app, now):
    from crm_core.toolkit import get_session
    from plugins.service.tickets.sweep import sweep

    with app.test_request_context():
        session = get_session()
        counts = sweep(session, now=now.astimezone(dt.UTC))
        session.commit()
    return counts


def _ticket(world, received: dt.datetime, priority: str = "high") -> int:
    made = new_request(world["agent_api"], world["customer_id"], priority=priority,
                       received_at=received.isoformat())
    assert made.status_code == 201, made.get_json()
    return made.get_json()["ticket_ids"][0]


def test_waiting_across_national_day_moves_the_due_times_by_the_working_time_waited(
        service_app, world, move):
    # high priority: resolution in 8 working hours, due 2026-09-30 18:00 (warned at 16:24)
    ticket_id = _ticket(world, at(9, 30, 9))
    before = read(service_app, Ticket, ticket_id)
    assert utc(before.resolution_due) == at(9, 30, 18)
    move(ticket_id, "assigned", at(9, 30, 9, 10), assignee_id=world["agent"].user.id)
    move(ticket_id, "in_progress", at(9, 30, 9, 30))
    waiting = move(ticket_id, "waiting_on_customer", at(9, 30, 10))

    # paused: past the old due time, over the holiday, neither warned nor breached
    assert waiting["sla_state"] == "ok"
    _sweep(service_app, at(10, 8, 9, 30))
    assert read(service_app, Ticket, ticket_id).sla_state == "ok"
    page = world["agent"].get(f"/service/tickets/{ticket_id}").get_data(as_text=True)
    assert "Clock paused" in page and "bi-pause-circle" in page
    read_back = world["agent_api"].get(f"/api/v1/service/tickets/{ticket_id}").get_json()
    assert read_back["sla_state"] == "ok" and read_back["paused_at"].startswith("2026-09-30")

    # the customer answers on 8 October at 10:00: 480 working minutes waited (30 September
    # 10:00-18:00 less lunch = 420, the holiday 0, 8 October 09:00-10:00 = 60)
    move(ticket_id, "in_progress", at(10, 8, 10))
    after = read(service_app, Ticket, ticket_id)
    assert after.paused_at is None and after.paused_minutes == 480
    assert utc(after.resolution_due) == at(10, 8, 18)
    assert utc(after.resolution_warn_at) == at(10, 8, 16, 24)
    # answered before the wait: the first response's times stay
    assert utc(after.first_response_due) == utc(before.first_response_due)
    assert "bi-pause-circle" not in world["agent"].get(
        f"/service/tickets/{ticket_id}").get_data(as_text=True)

    _sweep(service_app, at(10, 8, 16, 30))  # the moved warning moment has passed
    assert read(service_app, Ticket, ticket_id).sla_state == "warning"
    resolved = move(ticket_id, "resolved", at(10, 8, 17))
    assert resolved["sla_state"] == "met"  # without the pause: 7 working days late


def test_resolving_straight_from_the_wait_counts_the_pause(service_app, world, move):
    # urgent: resolution in 4 working hours, due Tuesday 1 December 14:00
    ticket_id = _ticket(world, at(12, 1, 9), priority="urgent")
    move(ticket_id, "assigned", at(12, 1, 9, 5), assignee_id=world["agent"].user.id)
    move(ticket_id, "in_progress", at(12, 1, 9, 10))
    move(ticket_id, "waiting_on_customer", at(12, 1, 10))
    resolved = move(ticket_id, "resolved", at(12, 1, 16))  # 5 working hours waited
    assert resolved["sla_state"] == "met"
    stored = read(service_app, Ticket, ticket_id)
    assert stored.paused_minutes == 300 and utc(stored.resolution_due) == at(12, 2, 10)


def test_a_ticket_late_before_the_wait_stays_late(service_app, world, move):
    ticket_id = _ticket(world, at(12, 2, 9), priority="urgent")  # due 14:00
    move(ticket_id, "assigned", at(12, 2, 9, 5), assignee_id=world["agent"].user.id)
    move(ticket_id, "in_progress", at(12, 2, 9, 10))
    move(ticket_id, "waiting_on_customer", at(12, 2, 14, 30))  # already past due
    resolved = move(ticket_id, "resolved", at(12, 2, 15, 30))
    assert resolved["sla_state"] == "missed"
    assert utc(read(service_app, Ticket, ticket_id).resolution_due) == at(12, 2, 14)


def test_waiting_time_is_counted_to_the_second():
    from plugins.service.sla.calendar import WorkingCalendar

    calendar = WorkingCalendar()
    start = dt.datetime(2026, 12, 1, 11, 59, 30, tzinfo=SHANGHAI)
    waited = calendar.working_time_between(start, at(12, 1, 13) + dt.timedelta(
        seconds=45))
    assert waited == dt.timedelta(seconds=75)  # lunch does not count
    assert calendar.add_working_time(start, waited) == at(12, 1, 13) + dt.timedelta(
        seconds=45)
    assert calendar.add_working_time(start, dt.timedelta(0)) == start


def test_a_new_priority_keeps_the_time_spent_waiting_out_of_the_clock(service_app, world, move):
    ticket_id = _ticket(world, at(12, 1, 9), priority="urgent")
    move(ticket_id, "assigned", at(12, 1, 9, 5), assignee_id=world["agent"].user.id)
    move(ticket_id, "in_progress", at(12, 1, 9, 10))
    move(ticket_id, "waiting_on_customer", at(12, 1, 10))
    move(ticket_id, "in_progress", at(12, 1, 16))  # 300 working minutes waited
    changed = world["agent_api"].patch(f"/api/v1/service/tickets/{ticket_id}",
                                       json={"priority": "high"})
    assert changed.status_code == 200, changed.get_json()
    # high: 8 working hours from 09:00 is 18:00, then the 300 minutes waited: 15:00 next day
    assert utc(read(service_app, Ticket, ticket_id).resolution_due) == at(12, 2, 15)
