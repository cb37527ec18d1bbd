"""Round robin under concurrent creation: tickets entered at the same moment go to different
members, on SQLite (one writer at a time) and on PostgreSQL (the team's row locked), when
``CRM_TEST_DATABASE_URL`` names a server."""

from __future__ import annotations

import threading

import pytest
from service_testing import new_request, team
from sqlalchemy import select, update

from crm_core.testing import DATABASES
from plugins.service.models import Team, Ticket


@pytest.fixture(scope="module", params=DATABASES)
def race_app(request, service_app, tmp_path_factory):
    if request.param == "sqlite":
        yield service_app
        return
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import FreshDatabases, test_config

    instance = tmp_path_factory.mktemp("service-race")
    databases = FreshDatabases(instance)
    app = create_app(test_config(instance, databases.new(request.param),
                                 ["customers", "service"]))
    with app.app_context():
        upgrade(app)
    yield app
    app.extensions["crm_db"].engine.dispose()
    databases.drop_all()


def _enter(app, user_id, request_id, barrier, made, errors):
    from crm_core.toolkit import model_for_table
    from plugins.service.tickets.services import add_ticket

    try:
        with app.test_request_context():
            session = app.extensions["crm_db"].new_session()
            user = session.get(model_for_table("core_user"), user_id)
            barrier.wait(timeout=10)
            ticket = add_ticket(session, {"request_id": request_id}, user)
            session.commit()
            made.append(ticket.id)
            session.close()
    except Exception as error:  # noqa: BLE001 - the test reports it
        errors.append(error)


def _mode(app, team_id, mode):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        session.execute(update(Team).where(Team.id == team_id).values(assignment_mode=mode))
        session.commit()
        session.close()


def test_tickets_entered_at_once_go_to_different_members(race_app):
    world = team(race_app)
    # two requests (manual team: their first tickets stay new), then a ticket more for each
    requests = [new_request(world["agent_api"], world["customer_id"]).get_json()["id"]
                for _ in range(2)]
    _mode(race_app, world["team_id"], "round_robin")
    barrier, made, errors = threading.Barrier(2), [], []
    threads = [threading.Thread(target=_enter, args=(
        race_app, world["agent_api"].user.id, request_id, barrier, made, errors))
        for request_id in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and len(made) == 2, errors
    with race_app.app_context():
        session = race_app.extensions["crm_db"].new_session()
        assignees = list(session.scalars(select(Ticket.assignee_id)
                                         .where(Ticket.id.in_(made))))
        session.close()
    assert sorted(assignees) == sorted([world["agent"].user.id, world["agent_api"].user.id])
