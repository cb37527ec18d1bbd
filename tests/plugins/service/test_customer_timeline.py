"""The customer 360° page's timeline shows service events: a request received and a ticket
resolved with its service level, newest first; another team's agent sees none of them."""

from __future__ import annotations

from service_testing import new_request, team


def _answer_survey(app, ticket_id):
    from sqlalchemy import select

    from crm_core.toolkit import utcnow
    from plugins.service.models import Survey

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        survey = session.scalars(select(Survey).where(Survey.ticket_id == ticket_id)).first()
        survey.answered_at, survey.stars, survey.resolved = utcnow(), 2, False
        session.commit()
        session.close()


def test_requests_and_resolved_tickets_show_on_the_customer_timeline(service_app):
    from plugins.customers.services import add_contact

    world = team(service_app)
    api = world["agent_api"]
    with service_app.app_context():  # someone to send the survey to
        session = service_app.extensions["crm_db"].new_session()
        add_contact(session, world["customer_id"], "赵敏", email="zhaomin@example.com",
                    is_primary=True)
        session.commit()
        session.close()
    ticket_id = new_request(api, world["customer_id"], subject="网关掉线").get_json()[
        "ticket_ids"][0]
    for state in ("assigned", "in_progress", "resolved"):
        body = {"state": state, "assignee_id": api.user.id} if state == "assigned" \
            else {"state": state}
        answer = api.post(f"/api/v1/service/tickets/{ticket_id}/state", json=body)
        assert answer.status_code == 200, answer.get_json()

    _answer_survey(service_app, ticket_id)
    page = world["agent"].get(f"/customers/{world['customer_id']}").get_data(as_text=True)
    assert "answered: 2 of 5 stars, not resolved" in page
    assert "Complaint SR" in page and "received: 网关掉线" in page
    assert "resolved: 网关掉线 (service level met)" in page
    assert page.index("resolved: 网关掉线") < page.index("received: 网关掉线")  # newest first

    stranger = team(service_app)["agent"]
    seen = stranger.get(f"/customers/{world['customer_id']}").get_data(as_text=True)
    assert "网关掉线" not in seen
