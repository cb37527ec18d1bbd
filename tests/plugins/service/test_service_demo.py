"""Service demo data (``crm seed --service N``): requests with tickets in every state, in
Chinese by default, resolved ones carrying a met or missed SLA, open ones swept; a demo team
with the administrator as its lead and member (round robin); nothing without customers."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """An app with customers and service, an administrator, 30 customers, 60 requests (and
    first a refused seed without customers)."""
    from crm_core.app import create_app
    from crm_core.auth.service import create_user
    from crm_core.migrate import upgrade
    from crm_core.testing import invoke_cli, test_config

    instance = tmp_path_factory.mktemp("service-demo")
    app = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}",
                                 ["customers", "service"]))
    with app.app_context():
        upgrade(app)
        session = app.extensions["crm_db"].new_session()
        create_user(session, "admin", "password-123456", superuser=True)
        session.commit()
        empty = invoke_cli(app, "seed", "--size", "0", "--service", "5")
        assert empty.exit_code == 0 and "none added" in empty.output
        assert invoke_cli(app, "seed", "--size", "0", "--customers", "30").exit_code == 0
        result = invoke_cli(app, "seed", "--size", "0", "--service", "60")
        assert result.exit_code == 0, result.output
        assert "service (60)" in result.output
        yield app, session
        session.close()


def test_requests_and_tickets_in_every_state_with_chinese_words(seeded):
    from plugins.service.models import ServiceRequest, Team, Ticket

    _app, session = seeded
    requests = session.scalars(select(ServiceRequest)).all()
    assert len(requests) == 60
    assert all(any("\u4e00" <= char <= "\u9fff" for char in request.subject)
               for request in requests)
    tickets = session.scalars(select(Ticket)).all()
    states = Counter(ticket.state for ticket in tickets)
    assert set(states) == {"new", "assigned", "in_progress", "waiting_on_customer",
                           "resolved", "closed"}, states
    settled = {ticket.sla_state for ticket in tickets if ticket.state in ("resolved", "closed")}
    assert settled <= {"met", "missed"} and settled
    assert all(ticket.paused_at is not None for ticket in tickets
               if ticket.state == "waiting_on_customer")  # their clocks stand still
    for ticket in tickets:
        if ticket.resolved_at is not None:
            assert ticket.first_responded_at <= ticket.resolved_at
    (team,) = session.scalars(select(Team)).all()
    assert team.lead_id is not None
    # what comes in after the demo (a public form's complaint) is assigned automatically
    from plugins.service.models import TeamMember

    assert team.assignment_mode == "round_robin"
    assert session.scalars(select(TeamMember.user_id).where(
        TeamMember.team_id == team.id)).all() == [team.lead_id]
