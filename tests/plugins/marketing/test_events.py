"""Event campaigns (会议) as a marketer and a visitor meet them: staff set up the registration
page on the campaign's page; a visitor registers on the public page with the event's
questions and consent, gets a ticket with a QR code by page and e-mail, and is matched to the
existing customer; the same person registering again gets the first registration back; a
full, closed or late event says so; bad input is answered beside its field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from marketing_testing import client_as, csrf, unique
from sqlalchemy import select

from crm_core.testing_clients import isolated_client
from plugins.marketing.events.models import Event, Registration
from plugins.marketing.models import ConsentState

QUESTIONS = "*职位 | text\n午餐 | choice: 素食, 普通\n需要停车位 | yesno"


@pytest.fixture(autouse=True)
def _generous_budget(marketing_app, monkeypatch):
    monkeypatch.setitem(marketing_app.config, "CRM_MARKETING_EVENT_RATE_LIMIT",
                        "1000 per minute")


def event_campaign(app, *, capacity: int | None = None, questions: str = QUESTIONS,
                   is_open: bool = True, deadline: str = "", department: str | None = None
                   ) -> dict[str, Any]:
    """A new event campaign set up through its settings page; its ids, key and clients."""
    marketer = client_as(app, "marketing", department=department or f"市场部 {unique()}")
    api = client_as(app, "marketing", department=None, api=True)
    api.user = marketer.user
    made = marketer.post("/api/v1/marketing/campaigns", json={
        "name": f"2027 新品发布会 {unique()}", "type": "event", "budget": "0"},
        headers={"X-CSRFToken": csrf(marketer, "/marketing/campaigns/new")})
    assert made.status_code == 201, made.get_data(as_text=True)[:500]
    campaign_id = made.get_json()["id"]
    url = f"/marketing/campaigns/{campaign_id}/event"
    saved = marketer.post(url, data={
        "csrf_token": csrf(marketer, url), "is_open": "y" if is_open else "",
        "capacity": "" if capacity is None else str(capacity), "deadline": deadline,
        "schedule": "2027-03-05 14:00–17:00", "place": "上海国际会议中心 3 楼",
        "intro": "新品与案例分享", "questions": questions})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        event = session.scalar(select(Event).where(Event.campaign_id == campaign_id))
        key, event_id = event.key, event.id
        session.close()
    return {"campaign_id": campaign_id, "event_id": event_id, "key": key,
            "marketer": marketer}


def visit(app, key: str, values: dict[str, str], lang: str = "zh-CN") -> Any:
    """A visitor posts the registration form of the event ``key``."""
    visitor = isolated_client(app)
    page = visitor.get(f"/m/events/{key}?lang={lang}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      page.get_data(as_text=True)).group(1)
    return visitor.post(f"/m/events/{key}?lang={lang}", data={"csrf_token": token, **values})


def registrations(app, event_id: int) -> list[Registration]:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        rows = list(session.scalars(select(Registration).where(
            Registration.event_id == event_id).order_by(Registration.id)))
        session.expunge_all()
        session.close()
    return rows


def person(tag: str, **more: str) -> dict[str, str]:
    return {"name": "王晓燕", "phone": "", "email": f"wang-{tag}@example.cn",
            "company": f"华东制造 {tag}", "q0": "采购经理", "q1": "素食", "q2": "yes", **more}


def test_a_visitor_registers_and_gets_a_ticket_with_a_qr_code(marketing_app):
    from crm_core.outbox.models import OutboxMessage

    made = event_campaign(marketing_app, capacity=50)
    detail = made["marketer"].get(f"/marketing/campaigns/{made['campaign_id']}")
    assert f"/m/events/{made['key']}" in detail.get_data(as_text=True)
    page = isolated_client(marketing_app).get(f"/m/events/{made['key']}?lang=zh-CN")
    html = page.get_data(as_text=True)
    assert "上海国际会议中心" in html and "职位 *" in html and "素食" in html
    assert 'name="viewport"' in html

    tag = unique()
    done = visit(marketing_app, made["key"], {**person(tag), "consent": "y"})
    assert done.status_code == 201, done.get_data(as_text=True)[:3000]
    text = done.get_data(as_text=True)
    [registration] = registrations(marketing_app, made["event_id"])
    assert registration.code in text and "<svg" in text
    assert registration.answers == {"职位": "采购经理", "午餐": "素食", "需要停车位": "yes"}
    assert registration.customer_id and registration.consent
    ticket_url = re.search(r'id="ticket-link" href="([^"]+)"', text).group(1)
    ticket = isolated_client(marketing_app).get(ticket_url)
    assert ticket.status_code == 200 and registration.code in ticket.get_data(as_text=True)
    token = ticket_url.rsplit("/", 1)[-1].split("?")[0]
    forged = isolated_client(marketing_app).get(f"/m/events/ticket/{token[:-3]}abc")
    assert forged.status_code == 404

    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        assert session.get(ConsentState, (f"wang-{tag}@example.cn",
                                          "marketing_email")).granted is True
        mail = session.scalar(select(OutboxMessage).where(
            OutboxMessage.idempotency_key == f"marketing.event_ticket:{registration.id}"))
        assert mail.payload["to"] == [f"wang-{tag}@example.cn"]
        assert registration.code in mail.payload["text"]
        [attachment] = mail.payload["attachments"]
        assert attachment["content_type"] == "image/png"
        session.close()


def test_registering_again_answers_the_first_registration(marketing_app):
    made = event_campaign(marketing_app)
    tag = unique()
    first = visit(marketing_app, made["key"], person(tag, phone="138 1234 5678"))
    assert first.status_code == 201
    again = visit(marketing_app, made["key"], person(tag, email=f"WANG-{tag}@Example.cn"))
    by_phone = visit(marketing_app, made["key"], person(tag, email=f"other-{tag}@example.cn",
                                                        phone="+86 13812345678"))
    for answer in (again, by_phone):
        assert answer.status_code == 200
        assert 'id="event-already"' in answer.get_data(as_text=True)
    assert "w***@example.cn" in again.get_data(as_text=True)
    assert len(registrations(marketing_app, made["event_id"])) == 1


def test_a_registrant_is_matched_to_the_existing_customer(marketing_app):
    from plugins.customers import services as customers

    tag = unique()
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        customer = customers.create_customer(session, name=f"杭州精工 {tag}")
        contact = customers.add_contact(session, customer.id, "李娜",
                                        email=f"li-{tag}@example.com")
        session.commit()
        customer_id, contact_id = customer.id, contact.id
        session.close()
    made = event_campaign(marketing_app)
    done = visit(marketing_app, made["key"], person(tag, name="李娜",
                                                    email=f"li-{tag}@example.com"))
    assert done.status_code == 201
    [registration] = registrations(marketing_app, made["event_id"])
    assert (registration.customer_id, registration.contact_id) == (customer_id, contact_id)


def test_bad_input_is_answered_beside_its_field(marketing_app):
    made = event_campaign(marketing_app)
    tag = unique()
    refused = visit(marketing_app, made["key"], person(
        tag, name="", email="not-an-address", q0="", q1="牛排", q2="maybe"), lang="en")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="name-error"' in html and "Enter your name." in html
    assert 'id="email-error"' in html
    assert 'id="q0-error"' in html and "Please answer this question." in html
    assert 'id="q1-error"' in html and 'id="q2-error"' in html
    nothing = visit(marketing_app, made["key"], person(tag, email="", phone=""), lang="en")
    assert nothing.status_code == 400 and "an e-mail address or a phone number" in \
        nothing.get_data(as_text=True)
    odd = visit(marketing_app, made["key"], person(tag, name="王\x00五", phone="12" * 40))
    assert odd.status_code == 400
    robot = visit(marketing_app, made["key"], {**person(tag), "homepage": "http://spam"})
    assert robot.status_code == 200 and 'id="ticket-code"' not in robot.get_data(as_text=True)
    no_token = isolated_client(marketing_app).post(f"/m/events/{made['key']}",
                                                   data=person(tag))
    assert no_token.status_code == 400
    assert registrations(marketing_app, made["event_id"]) == []
    assert isolated_client(marketing_app).get("/m/events/no-such-event-key").status_code == 404
    assert isolated_client(marketing_app).get("/m/events/%00%00").status_code in (400, 404)


def test_a_full_closed_or_late_event_says_so(marketing_app):
    full = event_campaign(marketing_app, capacity=1, questions="")
    assert visit(marketing_app, full["key"], {"name": "张伟", "email":
                                              f"z-{unique()}@example.com"}).status_code == 201
    page = isolated_client(marketing_app).get(f"/m/events/{full['key']}?lang=en")
    assert 'data-reason="full"' in page.get_data(as_text=True)
    assert "This event is full" in page.get_data(as_text=True)

    closed = event_campaign(marketing_app, is_open=False, questions="")
    page = isolated_client(marketing_app).get(f"/m/events/{closed['key']}?lang=en")
    assert 'data-reason="closed"' in page.get_data(as_text=True)
    late = event_campaign(marketing_app, deadline="2020-01-01T09:00", questions="")
    page = isolated_client(marketing_app).get(f"/m/events/{late['key']}?lang=zh-CN")
    assert 'data-reason="deadline"' in page.get_data(as_text=True)


def test_posting_too_often_answers_429(marketing_app, monkeypatch):
    monkeypatch.setitem(marketing_app.config, "CRM_MARKETING_EVENT_RATE_LIMIT",
                        "1 per minute")
    made = event_campaign(marketing_app, questions="")
    visitor = isolated_client(marketing_app)
    visitor.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    codes = [visitor.post(f"/m/events/{made['key']}", data={"name": "x"}).status_code
             for _i in range(2)]
    assert codes[-1] == 429


def test_settings_refuse_an_unreadable_question_and_a_non_event_campaign(marketing_app):
    made = event_campaign(marketing_app, questions="")
    marketer = made["marketer"]
    url = f"/marketing/campaigns/{made['campaign_id']}/event"
    refused = marketer.post(url, data={"csrf_token": csrf(marketer, url), "is_open": "y",
                                       "questions": "职位 | text\n午餐 | choice: 只有一个"})
    assert refused.status_code == 400 and "Line 2" in refused.get_data(as_text=True)
    mail = marketer.post("/api/v1/marketing/campaigns", json={
        "name": f"邮件 {unique()}", "type": "email", "budget": "0"},
        headers={"X-CSRFToken": csrf(marketer, "/marketing/campaigns/new")})
    shown = marketer.get(f"/marketing/campaigns/{mail.get_json()['id']}/event")
    assert shown.status_code == 200 and 'id="event-not-event"' in shown.get_data(as_text=True)


def test_questions_are_read_in_chinese_or_english_and_written_back():
    from plugins.marketing.events.questions import (
        QuestionError,
        parse_questions,
        questions_text,
    )

    questions = parse_questions("*职位\n\n午餐 | 单选：素食，普通、清真\n停车 | 是否")
    assert [(q["label"], q["kind"], q["choices"], q["required"]) for q in questions] == [
        ("职位", "text", [], True), ("午餐", "choice", ["素食", "普通", "清真"], False),
        ("停车", "yesno", [], False)]
    assert parse_questions(questions_text(questions)) == questions
    for text, line in (("a\nb | colour", 2), ("a\na", 2), (" | text", 1),
                       ("x | choice: one", 1)):
        with pytest.raises(QuestionError, match=f"Line {line}"):
            parse_questions(text)
    with pytest.raises(QuestionError):
        parse_questions("\n".join(f"q{n}" for n in range(21)))


def test_the_deadline_is_typed_in_the_marketers_time_zone(marketing_app):
    import datetime as dt

    from crm_core.testing_clients import read_row

    marketer = client_as(marketing_app, "marketing", timezone="Asia/Shanghai",
                         department=f"市场部 {unique()}")
    made = marketer.post("/api/v1/marketing/campaigns", json={
        "name": f"答谢会 {unique()}", "type": "event", "budget": "0"},
        headers={"X-CSRFToken": csrf(marketer, "/marketing/campaigns/new")})
    campaign_id = made.get_json()["id"]
    url = f"/marketing/campaigns/{campaign_id}/event"
    assert marketer.post(url, data={"csrf_token": csrf(marketer, url), "is_open": "y",
                                    "deadline": "2027-01-01T09:00"}).status_code == 302
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        event_id = session.scalar(select(Event.id).where(Event.campaign_id == campaign_id))
        session.close()
    deadline = read_row(marketing_app, Event, event_id).deadline
    assert deadline.replace(tzinfo=dt.UTC) == dt.datetime(2027, 1, 1, 1, 0, tzinfo=dt.UTC)
    assert 'value="2027-01-01T09:00"' in marketer.get(url).get_data(as_text=True)
