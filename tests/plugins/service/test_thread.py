"""A ticket's conversation: a reply goes to the customer's contact by e-mail through the
outbox (a real SMTP server, down and then up: the reply stays on the ticket as not delivered,
then sent), counts as the first response and moves the ticket; a note is never sent; a reply
without an address, an empty or too long message are refused naming the field; another
department's ticket answers 404."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from service_testing import new_request, read, team
from sqlalchemy import select

from plugins.service.models import Ticket, TicketMessage

sys.path.insert(0, str(Path(__file__).parents[2] / "core"))
from outbox_smtp import SmtpServer, free_port  # noqa: E402 - the kernel tests' SMTP server


@pytest.fixture(scope="module")
def world(service_app):
    from plugins.customers.services import add_contact

    made = team(service_app)
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        add_contact(session, made["customer_id"], "王经理", email="wang@example.com",
                    is_primary=True)
        session.commit()
        session.close()
    return made


def replies(api, ticket_id, **body):
    return api.post(f"/api/v1/service/tickets/{ticket_id}/replies", json=body)


def ticket_of(world, customer="customer_id"):
    answer = new_request(world["agent_api"], world[customer])
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["ticket_ids"][0]


def drain_message(app, outbox_id, now=None):
    from crm_core.outbox.delivery import drain

    with app.app_context():
        return drain(now=now, ids=[outbox_id]).as_dict()


def stored_state(app, message_id):
    from plugins.service.thread.sync import sync_task

    with app.app_context():
        sync_task()
    return read(app, TicketMessage, message_id).delivery_state


def test_a_reply_is_mailed_stays_visible_while_undeliverable_and_shows_sent(service_app,
                                                                            world):
    api = world["agent_api"]
    ticket_id = ticket_of(world)
    answer = replies(api, ticket_id, body="王经理您好：\n我们已安排工程师上门。", wait=True)
    assert answer.status_code == 201, answer.get_json()
    made = answer.get_json()
    assert (made["kind"], made["delivery_state"]) == ("reply", "queued")
    assert dt.datetime.fromisoformat(made["created_at"]).utcoffset() is not None
    ticket = read(service_app, Ticket, ticket_id)
    assert ticket.first_responded_at is not None and ticket.state == "waiting_on_customer"
    assert ticket.assignee_id is not None
    outbox_id = read(service_app, TicketMessage, made["id"]).outbox_message_id

    server = SmtpServer(free_port())  # not started yet: the server is closed
    saved = {key: service_app.config.get(key) for key in ("CRM_SMTP_URL", "CRM_MAIL_FROM")}
    service_app.config.update(CRM_SMTP_URL=server.url, CRM_MAIL_FROM="CRM <crm@example.com>")
    try:
        assert drain_message(service_app, outbox_id)["failed"] == 1
        assert stored_state(service_app, made["id"]) == "failed"
        failed = api.get(f"/api/v1/service/tickets/{ticket_id}/replies").get_json()["items"]
        assert failed[-1]["delivery_state"] == "failed" and failed[-1]["retry_at"]
        assert "could not be reached" in failed[-1]["delivery_problem"]
        page = world["agent"].get(f"/service/tickets/{ticket_id}").get_data(as_text=True)
        assert 'data-delivery="failed"' in page and "我们已安排工程师上门" in page
        assert "Errno" not in page and "ConnectionRefused" not in page

        server.start()
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        assert drain_message(service_app, outbox_id, later)["delivered"] == 1
        mail = server.wait_for(1)[0]
        assert "wang@example.com" in mail["To"] and ticket.number in mail["Subject"]
        assert "我们已安排工程师上门" in mail.get_content()
        sent = api.get(f"/api/v1/service/tickets/{ticket_id}/replies").get_json()["items"]
        assert sent[-1]["delivery_state"] == "sent" and sent[-1]["delivery_problem"] is None
        assert stored_state(service_app, made["id"]) == "sent"  # the beat's sync stored it
    finally:
        server.stop()
        service_app.config.update(saved)


def test_a_note_is_never_sent_and_refused_messages_name_their_field(service_app, world):
    api = world["agent_api"]
    ticket_id = ticket_of(world)
    note = replies(api, ticket_id, body="内部：客户上次投诉过同一问题。", kind="note")
    assert note.status_code == 201 and note.get_json()["delivery_state"] == "none"
    assert read(service_app, TicketMessage, note.get_json()["id"]).outbox_message_id is None
    ticket = read(service_app, Ticket, ticket_id)
    assert ticket.first_responded_at is None and ticket.state in ("new", "assigned")

    for body, field in (({"body": "   "}, "body"), ({"body": "长" * 20_001}, "body"),
                        ({"body": "x", "kind": "fax"}, "kind"),
                        ({"body": "x", "canned_reply_id": 2_000_000}, "canned_reply_id")):
        refused = replies(api, ticket_id, **body)
        assert refused.status_code == 422, body
        assert refused.mimetype == "application/problem+json"
        assert field in refused.get_json()["errors"], refused.get_json()

    nobody = ticket_of(world, "agent_customer_id")  # a customer without any contact
    refused = replies(api, nobody, body="您好")
    assert refused.status_code == 422 and "e-mail address" in refused.get_json()["errors"][
        "kind"][0]
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        assert session.scalars(select(TicketMessage).where(
            TicketMessage.ticket_id == nobody)).all() == []
        session.close()


def test_another_departments_ticket_has_no_conversation_for_you(service_app, world):
    ticket_id = ticket_of(world)
    stranger = team(service_app)["agent_api"]
    assert stranger.get(f"/api/v1/service/tickets/{ticket_id}/replies").status_code == 404
    assert replies(stranger, ticket_id, body="越权").status_code == 404
    assert stranger.get(f"/service/tickets/{ticket_id}/reply").status_code in (302, 404)
