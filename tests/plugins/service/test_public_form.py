"""The public request form (no sign-in): a customer's complaint through JSON and through the
page becomes a request of the form's team with its first ticket, the customer and contact
found again instead of entered twice; the reference and the signed status page (replies
shown, notes never, forged links a friendly 404); the mail with the link; a company's form at
its own address, framed only by its sites."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
from service_testing import read, team
from sqlalchemy import select, text

from crm_core.testing_clients import client_as, isolated_client

JSON = {"Accept": "application/json"}
#: The smallest PNG (one transparent pixel): a customer's photo.
PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049"
                      "454e44ae426082")


@pytest.fixture(scope="module")
def world(service_app: Any) -> dict[str, Any]:
    """A team with its own company form (key ``acme-<tag>``, framed by one shop site)."""
    group = team(service_app)
    admin = client_as(service_app, "admin", api=True)
    made = admin.post("/api/v1/service/public_forms", json={
        "name": f"Acme {group['tag']}", "key": f"acme-{group['tag']}",
        "team_id": group["team_id"], "default_type": "complaint",
        "frame_origins": "https://shop.example.com/", "intro": "Acme <b>service</b>"})
    assert made.status_code == 201, made.get_json()
    return {**group, "admin": admin, "form_key": f"acme-{group['tag']}",
            "form_id": made.get_json()["id"]}


def visitor(app: Any) -> Any:
    """An anonymous client with an address of its own (each has its own budget)."""
    client = isolated_client(app)
    client.environ_base["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"
    return client


def phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def rows(app: Any, model: Any, *where: Any) -> list[Any]:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = session.scalars(select(model).where(*where)).all()
        session.close()
    return list(found)


def test_a_json_complaint_makes_a_request_of_the_forms_team_and_finds_the_customer_again(
        service_app, world):
    from plugins.service.models import ServiceRequest, Ticket

    number = phone()
    body = {"type": "complaint", "name": "王晓燕", "phone": number, "email": "",
            "company": f"晓燕商贸 {world['tag']}", "subject": "打印机卡纸",
            "content": "每天都卡纸。"}
    first = visitor(service_app).post(f"/service/form/{world['form_key']}", json=body,
                                      headers=JSON)
    assert first.status_code == 201, first.get_json()
    answer = first.get_json()
    assert re.fullmatch(r"SR\d{6}-\d{4}", answer["reference"])
    assert "/service/status/" in answer["status_url"]
    again = visitor(service_app).post(f"/service/form/{world['form_key']}", json={
        **body, "subject": "还是卡纸", "company": ""}, headers=JSON)
    assert again.status_code == 201, again.get_json()

    made = rows(service_app, ServiceRequest, ServiceRequest.requester_phone == number)
    assert len(made) == 2
    assert {request.customer_id for request in made} == {made[0].customer_id}  # no duplicate
    assert {request.contact_id for request in made} == {made[0].contact_id} != {None}
    request = made[0]
    assert (request.channel, request.type, request.owner_id) == ("web_form", "complaint", None)
    assert request.department_id == world["department_id"]
    assert request.requester_name == "王晓燕"
    ticket = rows(service_app, Ticket, Ticket.request_id == request.id)[0]
    assert (ticket.team_id, ticket.state) == (world["team_id"], "new")


def test_the_page_takes_a_complaint_and_the_status_page_shows_replies_but_no_notes(
        service_app, world):
    from plugins.service.models import ServiceRequest, Ticket, TicketMessage

    client = visitor(service_app)
    page = client.get("/service/form?lang=zh", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="zh-CN"' in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    address = f"xiao{world['tag']}@example.com"
    sent = client.post("/service/form?lang=zh", data={
        "csrf_token": token.group(1), "type": "complaint", "name": "李雷", "phone": "",
        "email": address, "subject": "<script>alert(1)</script>", "content": "坏了",
        "homepage": "", "file": (io.BytesIO(PIXEL), "照片.png")})
    done = sent.get_data(as_text=True)
    assert sent.status_code == 200, done
    reference = re.search(r'id="public-reference">([^<]+)<', done).group(1)
    link = re.search(r'id="public-status-link" href="([^"]+)"', done).group(1)

    request = rows(service_app, ServiceRequest, ServiceRequest.number == reference)[0]
    ticket = rows(service_app, Ticket, Ticket.request_id == request.id)[0]
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        session.execute(text("UPDATE core_user SET display_name = '王小明' WHERE id = :id"),
                        {"id": world["agent"].user.id})
        session.add_all([
            TicketMessage(ticket_id=ticket.id, kind="reply", body="您好，我们明天上门。",
                          author_id=world["agent"].user.id),
            TicketMessage(ticket_id=ticket.id, kind="note", body="内部：客户很生气")])
        session.commit()
        files = session.execute(text(
            "SELECT file_name FROM core_attachment WHERE kind = 'service.request' "
            "AND record_id = :id"), {"id": request.id}).scalars().all()
        outbox = session.execute(text(
            "SELECT payload FROM core_outbox_message WHERE idempotency_key = :key"),
            {"key": f"service.public_status:{request.id}"}).scalar_one()
        session.close()
    assert link.split("://", 1)[1].split("/", 1)[1] in str(outbox)  # the mail has the link
    assert files == ["照片.png"]

    status = visitor(service_app).get(link.split("localhost", 1)[1])
    shown = status.get_data(as_text=True)
    assert status.status_code == 200
    assert reference in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<script>alert" not in shown
    assert "我们明天上门" in shown and "客户很生气" not in shown
    assert "小明" in shown and "王小明" not in shown  # the agent's given name only
    assert world["agent"].user.username not in shown

    path = link.split("localhost", 1)[1].split("?", 1)[0]
    forged = visitor(service_app).get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))
    assert forged.status_code == 404 and "not valid" in forged.get_data(as_text=True)


def test_a_filled_honeypot_pretends_success_and_saves_nothing(service_app, world):
    from plugins.service.models import ServiceRequest

    number = phone()
    answer = visitor(service_app).post("/service/form", json={
        "name": "Bot", "phone": number, "subject": "Cheap pills", "homepage": "http://spam"},
        headers=JSON)
    assert answer.status_code == 201
    assert rows(service_app, ServiceRequest, ServiceRequest.requester_phone == number) == []


def test_oversized_text_and_files_are_refused_with_messages_per_field(service_app, world,
                                                                      monkeypatch):
    monkeypatch.setitem(service_app.config, "CRM_SERVICE_FORM_RATE_LIMIT", "50 per minute")
    client = visitor(service_app)
    refused = client.post("/service/form", json={
        "name": "张三", "phone": phone(), "subject": "x" * 201, "content": "y" * 10001},
        headers=JSON)
    problem = refused.get_json()
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert "200" in problem["errors"]["subject"][0] and "10000" in problem["errors"]["content"][0]
    program = client.post("/service/form", headers=JSON, data={
        "name": "张三", "phone": phone(), "subject": "发票",
        "file": (io.BytesIO(b"MZ..."), "invoice.exe")})
    assert program.status_code == 422 and "file" in program.get_json()["errors"]
    monkeypatch.setitem(service_app.config, "CRM_SERVICE_FORM_MAX_FILE_MB", 0.001)
    big = client.post("/service/form", headers=JSON, data={
        "name": "张三", "phone": phone(), "subject": "发票",
        "file": (io.BytesIO(b"x" * 2000), "invoice.txt")})
    assert big.status_code == 422
    assert "larger than 0.001 MB" in big.get_json()["errors"]["file"][0]
    nobody = client.post("/service/form", headers=JSON, json={"name": "", "subject": "x"})
    assert set(nobody.get_json()["errors"]) >= {"name", "phone"}
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/service/form?lang=en").get_data(as_text=True)).group(1)
    page = client.post("/service/form?lang=en", data={
        "csrf_token": token, "type": "inquiry", "name": "张三", "phone": phone(),
        "subject": "x" * 201})
    assert page.status_code == 400
    assert re.search(r'id="subject-error">At most 200 characters \(this has 201\)',
                     page.get_data(as_text=True))
    forged = client.post("/service/form?lang=en", data={
        "csrf_token": "forged", "type": "inquiry", "name": "张三", "phone": phone(),
        "subject": "发票"})
    assert forged.status_code == 400 and "The form has expired" in forged.get_data(as_text=True)


def test_too_many_posts_from_one_address_answer_429_with_retry_after(service_app, world,
                                                                      monkeypatch):
    monkeypatch.setitem(service_app.config, "CRM_SERVICE_FORM_RATE_LIMIT", "2 per minute")
    client = visitor(service_app)
    answers = [client.post("/service/form", headers=JSON, json={"name": ""})
               for _ in range(3)]
    assert [answer.status_code for answer in answers] == [422, 422, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    page = client.post("/service/form", data={"name": ""})
    assert page.status_code == 429 and "try again" in page.get_data(as_text=True)


def test_a_company_form_has_its_own_address_and_framing_sites(service_app, world):
    from plugins.service.models import PublicForm

    client = visitor(service_app)
    page = client.get(f"/service/form/{world['form_key']}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Acme &lt;b&gt;service&lt;/b&gt;" in html
    assert 'value="complaint" selected' in html or "selected value=\"complaint\"" in html
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors https://shop.example.com" in policy and "X-Frame-Options" not in \
        page.headers
    anywhere = world["admin"].post("/api/v1/service/public_forms", json={
        "name": f"Anywhere {world['tag']}", "key": f"anywhere-{world['tag']}"})
    assert anywhere.status_code == 201, anywhere.get_json()
    assert "frame-ancestors *" in client.get(f"/service/form/anywhere-{world['tag']}").headers[
        "Content-Security-Policy"]
    assert client.get("/service/form/no-such-form").status_code == 404
    world["admin"].patch(f"/api/v1/service/public_forms/{world['form_id']}",
                         json={"is_active": False})
    assert client.get(f"/service/form/{world['form_key']}").status_code == 404
    world["admin"].patch(f"/api/v1/service/public_forms/{world['form_id']}",
                         json={"is_active": True})
    clash = world["admin"].post("/api/v1/service/public_forms", json={
        "name": "Other", "key": world["form_key"], "frame_origins": "javascript:alert(1)"})
    assert clash.status_code == 422 and "key" in clash.get_json()["errors"]
    assert read(service_app, PublicForm, world["form_id"]).is_active
