"""Where survey answers show: ``/api/v1/service/surveys`` (the surveys of the tickets the
caller may see, filtered by ticket, answered and stars; another department's survey 404),
the ticket page's satisfaction panel, and the page "Satisfaction" with each team's and
agent's figures of the last 90 days."""

from __future__ import annotations

import pytest
from service_testing import new_request, team

from crm_core.testing_clients import client_as
from crm_core.toolkit import get_session


def _answered_survey(app, world, stars, resolved, comment=""):
    """A resolved ticket of ``world`` whose survey the customer answered; its ids."""
    from plugins.customers.services import add_contact
    from plugins.service.models import Survey, Ticket
    from plugins.service.surveys.services import answer_survey, send_survey

    api, agent = world["agent_api"], world["agent"].user
    ticket_id = new_request(api, world["customer_id"]).get_json()["ticket_ids"][0]
    api.post(f"/api/v1/service/tickets/{ticket_id}/state",
             json={"state": "assigned", "assignee_id": agent.id})
    with app.test_request_context():
        session = get_session()  # the outbox writes through it too
        ticket = session.get(Ticket, ticket_id)
        if "contact" not in world:
            world["contact"] = add_contact(session, world["customer_id"], "Li Lei",
                                           email=f"li-{world['tag']}@example.com").id
        ticket.state = "resolved"
        survey = send_survey(session, ticket_id)
        answer_survey(session, session.get(Survey, survey.id), stars, resolved, comment)
        session.commit()
        ids = {"ticket_id": ticket_id, "survey_id": survey.id}
    return ids


@pytest.fixture(scope="module")
def worlds(service_app):
    east, west = team(service_app), team(service_app)
    east["good"] = _answered_survey(service_app, east, 5, True, "很满意")
    east["bad"] = _answered_survey(service_app, east, 1, False, "没解决")
    west["one"] = _answered_survey(service_app, west, 4, True)
    return east, west


def test_the_api_lists_only_surveys_of_tickets_one_may_see(service_app, worlds):
    east, west = worlds
    api = east["agent_api"]
    listed = api.get("/api/v1/service/surveys?limit=200")
    assert listed.status_code == 200
    ids = {item["id"] for item in listed.get_json()["items"]}
    assert {east["good"]["survey_id"], east["bad"]["survey_id"]} <= ids
    assert west["one"]["survey_id"] not in ids
    low = api.get("/api/v1/service/surveys?stars=1&answered=true").get_json()["items"]
    assert [item["id"] for item in low] == [east["bad"]["survey_id"]]
    assert low[0]["resolved"] is False and low[0]["comment"] == "没解决"
    assert low[0]["state"] == "answered" and low[0]["answered_at"].endswith("+00:00")
    by_ticket = api.get(f"/api/v1/service/surveys?ticket_id={east['good']['ticket_id']}")
    assert [item["stars"] for item in by_ticket.get_json()["items"]] == [5]
    one = api.get(f"/api/v1/service/surveys/{east['good']['survey_id']}")
    assert one.status_code == 200 and one.get_json()["ticket_id"] == east["good"]["ticket_id"]
    assert api.get(f"/api/v1/service/surveys/{west['one']['survey_id']}").status_code == 404
    assert api.get("/api/v1/service/surveys?stars=9").status_code == 422


def test_the_ticket_page_and_the_satisfaction_page_show_the_answers(service_app, worlds):
    east, west = worlds
    agent = east["agent"]
    page = agent.get(f"/service/tickets/{east['bad']['ticket_id']}").get_data(as_text=True)
    assert "没解决" in page and f'data-survey="{east["bad"]["survey_id"]}"' in page
    satisfaction = agent.get("/service/satisfaction")
    body = satisfaction.get_data(as_text=True)
    assert satisfaction.status_code == 200
    assert f"一线支持 {east['tag']}" in body and "3.0" in body  # (5 + 1) / 2 stars
    assert f"一线支持 {west['tag']}" not in body
    viewer = client_as(service_app, "sales")
    assert viewer.get("/service/satisfaction").status_code == 403
