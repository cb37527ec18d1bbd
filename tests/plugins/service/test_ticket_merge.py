"""Merging a duplicate ticket: the duplicate closes, its conversation moves to the ticket
that stays, both say so, and only open tickets of one customer that the agent sees merge."""

from __future__ import annotations

from service_testing import csrf, new_request, read, team


def _ticket(world, **more):
    return new_request(world["agent_api"], world["customer_id"], **more).get_json()["ticket_ids"][0]


def _messages(app, ticket_id):
    from sqlalchemy import select

    from plugins.service.models import TicketMessage

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = [(m.kind, m.body) for m in session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.id))]
        session.close()
    return found


def test_a_duplicate_is_closed_and_its_conversation_moves_on_the_page(service_app):
    from plugins.service.models import Ticket, TicketMessage

    world = team(service_app)
    stays, duplicate = _ticket(world), _ticket(world, subject="打印机又卡纸了")
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        session.add(TicketMessage(ticket_id=duplicate, kind="note", body="客户第二次来电"))
        session.commit()
        session.close()
    agent = world["agent"]
    page = agent.get(f"/service/tickets/{duplicate}").get_data(as_text=True)
    assert "Merge into" in page and f'value="{stays}"' in page

    merged = agent.post(f"/service/tickets/{duplicate}/merge", data={
        "csrf_token": csrf(agent, f"/service/tickets/{duplicate}"), "into": str(stays)},
        follow_redirects=True)
    assert merged.status_code == 200
    assert "was merged into" in merged.get_data(as_text=True)
    assert read(service_app, Ticket, duplicate).state == "closed"
    kept = _messages(service_app, stays)
    assert ("note", "客户第二次来电") in kept
    assert any(kind == "note" and "was merged into this one" in body for kind, body in kept)
    assert any("Merged into ticket" in body for _kind, body in _messages(service_app, duplicate))


def test_the_api_refuses_another_customer_itself_and_a_closed_ticket(service_app):
    world = team(service_app)
    api = world["agent_api"]
    first, second = _ticket(world), _ticket(world)
    other = new_request(api, world["agent_customer_id"]).get_json()["ticket_ids"][0]

    for into, text in ((first, "into itself"), (other, "same customer")):
        refused = api.post(f"/api/v1/service/tickets/{first}/merge", json={"into": into})
        assert refused.status_code == 422, refused.get_json()
        assert refused.content_type == "application/problem+json"
        assert text in str(refused.get_json()["errors"]["into"])
    done = api.post(f"/api/v1/service/tickets/{second}/merge", json={"into": first})
    assert done.status_code == 200 and done.get_json()["id"] == first
    again = api.post(f"/api/v1/service/tickets/{second}/merge", json={"into": first})
    assert again.status_code == 422 and "open tickets" in str(again.get_json()["errors"])


def test_another_departments_ticket_cannot_be_merged_into(service_app):
    east, west = team(service_app), team(service_app)
    mine = _ticket(east)
    theirs = _ticket(west)
    answer = east["agent_api"].post(f"/api/v1/service/tickets/{mine}/merge",
                                    json={"into": theirs})
    assert answer.status_code == 404
