"""The satisfaction survey end to end: resolving a ticket through the API queues the survey
mail in the outbox, a real SMTP server (tests/core/outbox_smtp.py) catches it, the link in
its text opens the public page without signing in, the customer answers once and a second
answer is refused; a low answer tells the team lead and other plugins hear it. Forged,
expired and replaced links get friendly pages; a customer without an address gets no
survey and the ticket's log says so."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from service_testing import new_request, team
from sqlalchemy import select

from crm_core.testing_clients import isolated_client
from crm_core.toolkit import hookimpl, sign_link

if "outbox_smtp" not in sys.modules:  # the kernel tests' SMTP server, by its path
    _spec = importlib.util.spec_from_file_location(
        "outbox_smtp", Path(__file__).parents[2] / "core" / "outbox_smtp.py")
    sys.modules["outbox_smtp"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["outbox_smtp"])
from outbox_smtp import SmtpServer  # noqa: E402

LINK = re.compile(r"https?://\S+/service/survey/[\w.\-]+")


@pytest.fixture(scope="module")
def world(service_app):
    from plugins.customers.services import add_contact

    made = team(service_app)
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        contact = add_contact(session, made["customer_id"], "王丽",
                              email=f"wangli-{made['tag']}@example.com", is_primary=True)
        session.commit()
        made["contact_id"], made["email"] = contact.id, contact.email
        session.close()
    return made


@pytest.fixture
def smtp(service_app, monkeypatch):
    server = SmtpServer().start()
    monkeypatch.setitem(service_app.config, "CRM_SMTP_URL", server.url)
    monkeypatch.setitem(service_app.config, "CRM_MAIL_FROM", "Service <service@example.com>")
    yield server
    server.stop()


class Listener:
    def __init__(self):
        self.heard = []

    @hookimpl
    def survey_answered(self, survey_id, ticket_id, stars, resolved):
        self.heard.append((survey_id, ticket_id, stars, resolved))


def resolved_ticket(world, **more):
    """A new ticket of the world's customer, assigned, worked and resolved via the API."""
    api, agent = world["agent_api"], world["agent"].user
    ticket_id = new_request(api, world["customer_id"], **more).get_json()["ticket_ids"][0]
    for state in ("assigned", "in_progress", "resolved"):
        moved = api.post(f"/api/v1/service/tickets/{ticket_id}/state",
                         json={"state": state, "assignee_id": agent.id})
        assert moved.status_code == 200, moved.get_json()
    return ticket_id


def surveys_of(app, ticket_id):
    from plugins.service.models import Survey

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = list(session.scalars(select(Survey).where(Survey.ticket_id == ticket_id)
                                     .order_by(Survey.id)))
        session.expunge_all()
        session.close()
    return found


def deliver(app, smtp, address):
    """Drain the outbox into the SMTP server; the text of the mail sent to ``address``."""
    from crm_core.outbox.delivery import drain

    with app.app_context():
        drain()
    for message in smtp.wait_for(1, timeout=10):
        if address in message["To"]:
            return message
    raise AssertionError(f"no mail to {address}")


def form_token(client, path):
    """The CSRF token of the survey form at ``path``, as the browser got it."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def answer(client, path, token=None, **values):
    token = token or form_token(client, path)
    return client.post(path, data={"csrf_token": token, **values})


def test_the_survey_mail_is_caught_answered_once_and_a_second_answer_is_refused(
        service_app, world, smtp):
    from crm_core.notifications.models import Notification
    from plugins.service.models import Survey

    ticket_id = resolved_ticket(world, contact_id=world["contact_id"])
    message = deliver(service_app, smtp, world["email"])
    text = message.get_body(("plain",)).get_content()
    assert message["To"] == world["email"] and "SR" in message["Subject"]
    assert message.get_body(("html",)) is not None
    url = LINK.search(text).group(0)
    path = url[url.index("/service/survey/"):]

    customer = isolated_client(service_app)  # nobody signed in
    page = customer.get(path)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'type="radio"' in body and 'name="stars"' in body
    assert '<html lang="zh-CN">' in body  # the customer wrote in Chinese
    english = customer.get(path + "?lang=en").get_data(as_text=True)
    assert "Was your problem resolved?" in english

    second_tab = isolated_client(service_app)  # the same link opened twice
    second_token = form_token(second_tab, path)
    listener = Listener()
    manager = service_app.extensions["crm"].pm
    manager.register(listener, name="survey-test-listener")
    try:
        done = answer(customer, path, stars="2", resolved="no", comment="等了三天才有人回复")
    finally:
        manager.unregister(listener)
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    thanks = customer.get(done.headers["Location"])
    assert thanks.status_code == 200 and 'data-kind="answered"' in thanks.get_data(as_text=True)

    survey = surveys_of(service_app, ticket_id)[-1]
    assert (survey.stars, survey.resolved, survey.comment) == (2, False, "等了三天才有人回复")
    assert (survey.team_id, survey.agent_id) == (world["team_id"], world["agent"].user.id)
    assert listener.heard == [(survey.id, ticket_id, 2, False)]

    again = answer(second_tab, path, second_token, stars="5", resolved="yes")
    assert again.status_code == 409 and 'data-kind="twice"' in again.get_data(as_text=True)
    assert surveys_of(service_app, ticket_id)[-1].stars == 2

    with service_app.app_context():  # the team lead (the world's agent) heard of the score
        session = service_app.extensions["crm_db"].new_session()
        notes = session.scalars(select(Notification).where(
            Notification.user_id == world["agent"].user.id,
            Notification.kind == "service.low_score")).all()
        assert [note.link for note in notes] == [f"/service/tickets/{ticket_id}"]
        assert session.get(Survey, survey.id).answered_at is not None
        session.close()


def test_forged_expired_and_replaced_links_get_friendly_pages(service_app, world):
    from plugins.service.models import Survey

    customer = isolated_client(service_app)
    forged = customer.get("/service/survey/not-a-real-token")
    assert forged.status_code == 404 and 'data-kind="invalid"' in forged.get_data(as_text=True)

    ticket_id = resolved_ticket(world, contact_id=world["contact_id"])
    first = surveys_of(service_app, ticket_id)[-1]
    with service_app.test_request_context():
        other = sign_link("service.public_status", {"survey": first.id})
    assert customer.get(f"/service/survey/{other}").status_code == 404

    api = world["agent_api"]
    for state in ("in_progress", "resolved"):  # reopened and resolved again: a new survey
        assert api.post(f"/api/v1/service/tickets/{ticket_id}/state",
                        json={"state": state}).status_code == 200
    old, new = surveys_of(service_app, ticket_id)[-2:]
    assert old.id == first.id and new.id != old.id
    with service_app.test_request_context():
        old_link = f"/service/survey/{sign_link('service.survey', {'survey': old.id})}"
        new_link = f"/service/survey/{sign_link('service.survey', {'survey': new.id})}"
    replaced = customer.get(old_link)
    assert replaced.status_code == 410 and 'data-kind="closed"' in replaced.get_data(as_text=True)
    assert customer.get(new_link).status_code == 200

    token = form_token(customer, new_link)  # the form stayed open past the survey's time
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        session.get(Survey, new.id).expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        session.commit()
        session.close()
    expired = answer(customer, new_link, token, stars="5", resolved="yes")
    assert expired.status_code == 410 and "closed" in expired.get_data(as_text=True)
    assert surveys_of(service_app, ticket_id)[-1].answered_at is None


def test_a_customer_without_an_address_gets_no_survey_and_the_log_says_so(service_app):
    from crm_core.audit.models import AuditEntry

    bare = team(service_app)  # its customers have no contacts
    ticket_id = resolved_ticket(bare)
    assert surveys_of(service_app, ticket_id) == []
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "survey_not_sent",
            AuditEntry.record_id == str(ticket_id))).one()
        assert "e-mail" in entry.message or "邮" in entry.message
        session.close()


def test_too_many_tries_from_one_address_get_a_friendly_429(service_app):
    visitor = isolated_client(service_app)
    visitor.environ_base["REMOTE_ADDR"] = "198.51.100.7"  # its own budget
    answers = [visitor.get(f"/service/survey/guess-{n}").status_code
               for n in range(31)]
    assert answers[:30] == [404] * 30 and answers[30] == 429
    busy = visitor.get("/service/survey/guess")
    assert busy.status_code == 429 and int(busy.headers["Retry-After"]) >= 1
    assert 'data-kind="busy"' in busy.get_data(as_text=True)
