"""Canned replies and the reply form of a ticket's page: the seeded Chinese replies fill
their merge fields for the ticket, the customer's contact and the agent; a text with an
unknown field or code is refused when saved (a field error, never a 500); only managers keep
them; the page's form writes a reply with a file and "wait for the customer", shows a
refused one again with the reason, and the reply is in the operation log."""

from __future__ import annotations

import io

import pytest
from service_testing import csrf, new_request, read, team
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.testing_clients import client_as
from plugins.service.models import CannedReply, Ticket, TicketMessage


@pytest.fixture(scope="module")
def world(service_app):
    from plugins.customers.services import add_contact

    made = team(service_app)
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        add_contact(session, made["customer_id"], "李娜", email="lina@example.com",
                    is_primary=True)
        made["seeded"] = session.scalar(select(CannedReply.id).where(
            CannedReply.title == "已收到您的问题"))
        session.commit()
        session.close()
    made["manager"] = client_as(service_app, "manager", api=True,
                                department=f"Service {made['tag']}")
    return made


def ticket_of(world):
    return new_request(world["agent_api"], world["customer_id"]).get_json()["ticket_ids"][0]


def test_a_seeded_canned_reply_fills_its_merge_fields(service_app, world):
    ticket_id = ticket_of(world)
    ticket = read(service_app, Ticket, ticket_id)
    answer = world["agent_api"].post(f"/api/v1/service/tickets/{ticket_id}/replies",
                                     json={"canned_reply_id": world["seeded"]})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()["body"]
    assert "李娜您好" in body and ticket.number in body and ticket.subject in body
    assert world["agent_api"].user.username in body and "{{" not in body
    page = world["agent"].get(f"/service/tickets/{ticket_id}/reply?canned_reply_id="
                              f"{world['seeded']}")
    assert page.status_code == 200 and ticket.number in page.get_data(as_text=True)


@pytest.mark.parametrize("text", ["您好 {{ customer.secret }}", "{{ ticket.__class__ }}",
                                  "{% for x in range(9) %}x{% endfor %}", "您好 {{ agent.name",
                                  "{{ customer }}", "{{ config }}"])
def test_a_canned_reply_with_an_unknown_field_or_code_is_refused_naming_its_text(world, text):
    answer = world["manager"].post("/api/v1/service/canned_replies",
                                   json={"title": "坏模板", "body": text})
    assert answer.status_code == 422, answer.get_json()
    assert "body" in answer.get_json()["errors"]


def test_only_managers_keep_canned_replies(world):
    made = world["manager"].post("/api/v1/service/canned_replies", json={
        "title": "上门安排", "body": "{{ contact.name }}您好，工程师明天上门。"})
    assert made.status_code == 201, made.get_json()
    assert world["agent_api"].get("/api/v1/service/canned_replies").status_code == 403


def test_the_page_writes_a_reply_with_a_file_and_waits_for_the_customer(service_app, world):
    agent = world["agent"]
    ticket_id = ticket_of(world)
    page = f"/service/tickets/{ticket_id}"
    shown = agent.get(page).get_data(as_text=True)
    assert 'id="conversation"' in shown and "已收到您的问题" in shown  # the canned select
    token = csrf(agent, page)
    refused = agent.post(f"{page}/reply", data={"csrf_token": token, "body": " ",
                                                "kind": "reply"})
    assert refused.status_code == 400
    assert "Write the message" in refused.get_data(as_text=True)

    done = agent.post(f"{page}/reply", content_type="multipart/form-data", data={
        "csrf_token": token, "body": "已更换硒鼓，请试用。", "kind": "reply", "wait": "y",
        "files": (io.BytesIO("维修单".encode()), "维修单.txt")})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert read(service_app, Ticket, ticket_id).state == "waiting_on_customer"
    shown = agent.get(page).get_data(as_text=True)
    assert "已更换硒鼓" in shown and "维修单.txt" in shown and 'data-delivery="queued"' in shown

    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        message_id = session.scalar(select(TicketMessage.id).where(
            TicketMessage.ticket_id == ticket_id))
        logged = session.scalars(select(AuditEntry).where(
            AuditEntry.model == "service_ticket_message",
            AuditEntry.record_id == str(message_id))).all()
        session.close()
    assert logged, "the reply is in the operation log"
