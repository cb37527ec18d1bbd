"""Company days off and extra working days, kept by administrators on
``/service/days_off``: a day off (公司年会) pushes the due times of tickets opened after it
past that day, an extra working day (a Saturday) counts, removing it restores China's
calendar; agents may not keep them; asking for the calendar once per ticket costs no query
per ticket."""

from __future__ import annotations

import datetime as dt

import pytest
from service_testing import csrf, new_request, read, team
from sqlalchemy import event

from crm_core.testing_clients import client_as
from plugins.service.models import Ticket

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def admin(service_app):
    return client_as(service_app, superuser=True, api=True)


@pytest.fixture(scope="module")
def world(service_app):
    return team(service_app)


def _first_response_due(service_app, world, received: dt.datetime) -> dt.datetime:
    # high priority: a first response within 2 working hours
    made = new_request(world["agent_api"], world["customer_id"], priority="high",
                       received_at=received.isoformat())
    assert made.status_code == 201, made.get_json()
    due = read(service_app, Ticket, made.get_json()["ticket_ids"][0]).first_response_due
    return due.replace(tzinfo=dt.UTC) if due.tzinfo is None else due


def test_a_company_day_off_and_an_extra_working_day_move_new_due_times(
        service_app, admin, world):
    # Tuesday 24 November 17:00: one working hour left that day, the second on Wednesday
    assert _first_response_due(service_app, world, at(11, 24, 17)) == at(11, 25, 10)
    made = admin.post("/api/v1/service/days_off",
                      json={"day": "2026-11-25", "name": "公司年会", "kind": "off"})
    assert made.status_code == 201, made.get_json()
    assert _first_response_due(service_app, world, at(11, 24, 17)) == at(11, 26, 10)
    twice = admin.post("/api/v1/service/days_off",
                       json={"day": "2026-11-25", "name": "again", "kind": "off"})
    assert twice.status_code == 422 and "day" in twice.get_json()["errors"]

    # Friday 27 November 17:00 is due Monday; with Saturday worked, on Saturday
    assert _first_response_due(service_app, world, at(11, 27, 17)) == at(11, 30, 10)
    saturday = admin.post("/api/v1/service/days_off",
                          json={"day": "2026-11-28", "name": "补班", "kind": "working"})
    assert saturday.status_code == 201, saturday.get_json()
    assert _first_response_due(service_app, world, at(11, 27, 17)) == at(11, 28, 10)

    for record in (made, saturday):
        gone = admin.delete(f"/api/v1/service/days_off/{record.get_json()['id']}")
        assert gone.status_code in (200, 204)
    assert _first_response_due(service_app, world, at(11, 24, 17)) == at(11, 25, 10)


def test_the_days_off_page_is_for_administrators(service_app, world):
    page = client_as(service_app, superuser=True)
    listed = page.get("/service/days_off")
    assert listed.status_code == 200
    assert "open tickets keep the working time they have left" in listed.get_data(as_text=True)
    saved = page.post("/service/days_off", data={
        "csrf_token": csrf(page, "/service/days_off/new"), "day": "2031-01-24",
        "name": "公司年会", "kind": "off"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert "公司年会" in page.get("/service/days_off").get_data(as_text=True)
    day_id = saved.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    for client in (world["agent"], client_as(service_app, "manager")):
        assert client.get("/service/days_off").status_code == 403
        assert client.get(f"/service/days_off/{day_id}").status_code == 403
        assert client.get("/service/sla_settings").status_code == 403
    assert world["agent_api"].get("/api/v1/service/days_off").status_code == 403


def test_the_calendar_is_read_once_per_unit_of_work_not_per_ticket(service_app):
    from crm_core.toolkit import get_session
    from plugins.service.tickets.due import working_calendar

    statements: list[str] = []
    engine = service_app.extensions["crm_db"].engine

    def count(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        with service_app.test_request_context():
            session = get_session()
            calendars = {id(working_calendar(session)) for _ in range(50)}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(calendars) == 1
    assert len([sql for sql in statements if "service_day_off" in sql]) <= 2


def test_a_day_off_added_later_moves_the_open_tickets_due_times_across_it(
        service_app, admin, world):
    from plugins.service.sla.calendar import WorkingCalendar

    official = WorkingCalendar()
    # a working day after tomorrow, within an open low-priority ticket's five working days
    day = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=2)
    while not official.is_working_day(day):
        day += dt.timedelta(days=1)
    made = new_request(world["agent_api"], world["customer_id"], priority="low")
    ticket_id = made.get_json()["ticket_ids"][0]
    received = read(service_app, Ticket, ticket_id).created_at.replace(tzinfo=dt.UTC)

    def resolution_due():
        return read(service_app, Ticket, ticket_id).resolution_due.replace(tzinfo=dt.UTC)

    before = resolution_due()
    assert abs(before - official.add_working_minutes(received, 2400)) < dt.timedelta(
        seconds=5)
    added = admin.post("/api/v1/service/days_off",
                       json={"day": day.isoformat(), "name": "团建", "kind": "off"})
    assert added.status_code == 201, added.get_json()
    try:
        moved = resolution_due()
        assert moved > before
        assert official.working_time_between(before, moved) == dt.timedelta(hours=8)
    finally:
        admin.delete(f"/api/v1/service/days_off/{added.get_json()['id']}")
    assert resolution_due() == before
