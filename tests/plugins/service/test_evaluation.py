"""Internal service evaluations (服务评价): a manager scores a ticket of their department
1–5 for response speed, professionalism and result with a comment; it shows on the ticket's
page, recording it again changes it, the operation log has it; agents may not, another
department's ticket answers 404, a score out of range is refused beside its field."""

from __future__ import annotations

import pytest
from service_testing import csrf, new_request, read, team
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.testing_clients import client_as


@pytest.fixture(scope="module")
def world(service_app):
    made = team(service_app)
    made["manager"] = client_as(service_app, "manager", department=f"Service {made['tag']}")
    made["ticket_id"] = new_request(made["agent_api"], made["customer_id"]).get_json()[
        "ticket_ids"][0]
    return made


def _evaluation(app, ticket_id):
    from plugins.service.models import Evaluation

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = session.scalar(select(Evaluation).where(Evaluation.ticket_id == ticket_id))
        if found is not None:
            session.expunge(found)
        session.close()
    return found


def test_a_manager_evaluates_a_ticket_and_the_page_shows_it(service_app, world):
    manager, ticket_id = world["manager"], world["ticket_id"]
    url = f"/service/tickets/{ticket_id}/evaluation"
    page = manager.get(f"/service/tickets/{ticket_id}").get_data(as_text=True)
    assert url in page  # the panel offers it
    saved = manager.post(url, data={"csrf_token": csrf(manager, url), "speed": "4",
                                    "professionalism": "5", "result": "3",
                                    "comment": "回复及时，方案一般"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:400]
    found = _evaluation(service_app, ticket_id)
    assert (found.speed, found.professionalism, found.result) == (4, 5, 3)
    assert found.evaluator_id == manager.user.id
    shown = manager.get(f"/service/tickets/{ticket_id}").get_data(as_text=True)
    assert "回复及时，方案一般" in shown and "4 / 5" in shown

    changed = manager.post(url, data={"csrf_token": csrf(manager, url), "speed": "2",
                                      "professionalism": "5", "result": "3"})
    assert changed.status_code == 302
    assert read(service_app, type(found), found.id).speed == 2  # the same row, changed
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        logged = session.scalars(select(AuditEntry.action).where(
            AuditEntry.model == "service_evaluation",
            AuditEntry.record_id == str(found.id))).all()
        session.close()
    assert logged == ["insert", "update"]


def test_scores_out_of_range_agents_and_other_departments_are_refused(service_app, world):
    manager, ticket_id = world["manager"], world["ticket_id"]
    url = f"/service/tickets/{ticket_id}/evaluation"
    bad = manager.post(url, data={"csrf_token": csrf(manager, url), "speed": "9",
                                  "professionalism": "5", "result": "0"})
    assert bad.status_code == 400 and bad.get_data(as_text=True).count("text-danger") == 2
    agent = world["agent"]
    assert agent.get(url).status_code == 403
    other = team(service_app)
    elsewhere = new_request(other["agent_api"], other["customer_id"]).get_json()[
        "ticket_ids"][0]
    assert manager.get(f"/service/tickets/{elsewhere}/evaluation").status_code == 404
