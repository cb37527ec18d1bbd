"""The kept service aggregates behind the monthly widgets: SLA attainment per month, average
first-response and resolution times in working hours (lunch, nights and weekends not
counted), CSAT per month; each agent counts only their department's tickets; the numbers
kept through the flush hook equal those ``crm service rebuild-aggregates`` recomputes."""

from __future__ import annotations

import datetime as dt

import pytest
from service_testing import new_request, team

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
#: a Monday, a working day: the clocks of the requests below start at 09:00
MONDAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def teams(service_app):
    return team(service_app), team(service_app)


def _widget(client, widget_id):
    answer = client.get(f"/api/v1/widgets/{widget_id}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["data"]


def _month(data, month, series=None):
    values = data["values"] if series is None else \
        next(item["values"] for item in data["series"] if item["name"] == series)
    return dict(zip(data["labels"], values, strict=True)).get(month)


def _ticket(api, customer_id, **more):
    answer = new_request(api, customer_id, received_at=MONDAY.isoformat(), **more)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["ticket_ids"][0]


def _settle(app, ticket_id, *, answered_after, resolved_after=None, sla_state="met"):
    """Answer (and resolve) the ticket ``answered_after`` / ``resolved_after`` after its
    receipt, through the ORM as the state moves do."""
    from plugins.service.models import Ticket

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        ticket = session.get(Ticket, ticket_id)
        # stored in UTC, as the app stores every time
        ticket.first_responded_at = (MONDAY + answered_after).astimezone(dt.UTC)
        if resolved_after is not None:
            ticket.state = "resolved"
            ticket.resolved_at = (MONDAY + resolved_after).astimezone(dt.UTC)
            ticket.sla_state = sla_state
        session.commit()
        session.close()


def _kept(app, department_ids):
    from sqlalchemy import select

    from plugins.service.models import OpenTicketTotal, TicketMonthlyTotal
    from plugins.service.models.aggregates import COUNTERS

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        table, open_ = TicketMonthlyTotal, OpenTicketTotal
        rows = session.execute(select(table.month, table.team_id, table.department_id,
                                      table.assignee_id, table.priority,
                                      *(getattr(table, name) for name in COUNTERS))
                               .where(table.department_id.in_(department_ids))).all()
        opened = session.execute(select(open_.created_on, open_.team_id, open_.department_id,
                                        open_.assignee_id, open_.priority, open_.state,
                                        open_.count)
                                 .where(open_.department_id.in_(department_ids))).all()
        session.close()
    return (sorted(tuple(row) for row in rows if any(row[5:])),
            sorted(tuple(row) for row in opened if row[-1]))


def test_attainment_and_working_hours_per_month_each_team_its_own(service_app, teams):
    mine, other = teams
    api = mine["agent_api"]
    met = _ticket(api, mine["customer_id"])
    late = _ticket(api, mine["customer_id"], priority="urgent")
    # answered at 10:00 (1 working hour); resolved at 14:00: 09–12 and 13–14, lunch not
    _settle(service_app, met, answered_after=dt.timedelta(hours=1),
            resolved_after=dt.timedelta(hours=5))
    # answered Tuesday 09:00 (8 working hours: the night not counted), resolved Friday
    _settle(service_app, late, answered_after=dt.timedelta(days=1),
            resolved_after=dt.timedelta(days=4), sla_state="missed")
    theirs = _ticket(other["agent_api"], other["customer_id"])
    _settle(service_app, theirs, answered_after=dt.timedelta(hours=2),
            resolved_after=dt.timedelta(hours=3))
    answered_only = _ticket(api, mine["customer_id"])
    _settle(service_app, answered_only, answered_after=dt.timedelta(hours=3))

    attainment = _widget(mine["agent"], "service.sla_attainment")
    assert _month(attainment, "2026-11") == 50.0  # theirs (met) is not counted here
    assert _month(_widget(other["agent"], "service.sla_attainment"), "2026-11") == 100.0

    times = _widget(mine["agent"], "service.response_times")
    # first responses: 1 h, 8 h and 3 h (the one still open counts once answered)
    assert _month(times, "2026-11", "First response") == 4.0
    # resolutions: 4 h and 4 working days (32 h)
    assert _month(times, "2026-11", "Resolution") == 18.0


def test_kept_numbers_equal_a_rebuild_after_reopening_moving_and_deleting(service_app):
    from plugins.service.aggregates.rebuild import rebuild
    from plugins.service.models import Ticket

    mine, other = team(service_app), team(service_app)
    api = mine["agent_api"]
    tickets = [_ticket(api, mine["customer_id"], priority=priority)
               for priority in ("urgent", "high", "low")]
    _ticket(api, mine["customer_id"])  # stays open
    for ticket_id in tickets:
        _settle(service_app, ticket_id, answered_after=dt.timedelta(hours=2),
                resolved_after=dt.timedelta(hours=6))
    with service_app.app_context():  # reopened, moved to the other team, to the trash
        session = service_app.extensions["crm_db"].new_session()
        reopened, moved, trashed = (session.get(Ticket, ticket_id) for ticket_id in tickets)
        reopened.state, reopened.resolved_at, reopened.sla_state = "in_progress", None, "ok"
        moved.team_id, moved.department_id = other["team_id"], other["department_id"]
        moved.priority = "normal"
        trashed.deleted_at = dt.datetime.now(dt.UTC)
        session.commit()
        session.close()
    departments = [mine["department_id"], other["department_id"]]
    kept = _kept(service_app, departments)
    assert kept[0] and kept[1]  # monthly and open totals
    answer = service_app.test_cli_runner().invoke(args=["service", "rebuild-aggregates"])
    assert answer.exit_code == 0 and "rebuilt" in answer.output, answer.output
    assert _kept(service_app, departments) == kept
    with service_app.app_context():  # and the function the bulk demo calls agrees
        session = service_app.extensions["crm_db"].new_session()
        assert rebuild(session)["tickets_read"] >= 1
        session.commit()
        session.close()
    assert _kept(service_app, departments) == kept


def test_satisfaction_per_month_counts_four_and_five_stars(service_app, teams):
    from plugins.service.models import Survey, Ticket

    mine, other = teams
    ticket_id = _ticket(mine["agent_api"], mine["customer_id"])
    their_ticket = _ticket(other["agent_api"], other["customer_id"])
    answered = dt.datetime(2026, 10, 20, 2, 0, tzinfo=dt.UTC)
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        for ticket_id_, stars in ((ticket_id, 5), (ticket_id, 2), (their_ticket, 1)):
            ticket = session.get(Ticket, ticket_id_)
            survey = Survey(ticket_id=ticket.id, team_id=ticket.team_id,
                            department_id=ticket.department_id, agent_id=ticket.assignee_id,
                            customer_id=ticket.customer_id, sent_to="kehu@example.com",
                            sent_at=answered, expires_at=answered + dt.timedelta(days=7))
            session.add(survey)
            session.flush()  # sent, then answered: the answer is what counts
            survey.answered_at, survey.stars = answered, stars
        session.commit()
        session.close()
    assert _month(_widget(mine["agent"], "service.satisfaction"), "2026-10",
                  "Satisfied (4–5 stars, %)") == 50.0
    assert _month(_widget(other["agent"], "service.satisfaction"), "2026-10",
                  "Satisfied (4–5 stars, %)") == 0.0
