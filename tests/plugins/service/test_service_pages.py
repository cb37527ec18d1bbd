"""The service pages as an agent meets them: the menu's two entries, the lists' empty
states, entering a request on the page (the first ticket comes with it), the request's
tickets panel, and the labels in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_testing import csrf, new_request, team

import plugins.service

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
CATALOG = Path(plugins.service.__file__).parent / "translations/zh_CN/LC_MESSAGES/messages.mo"


def test_an_empty_team_sees_the_menu_and_empty_states_that_say_what_to_do(service_app):
    agent = team(service_app)["agent"]
    home = agent.get("/service/requests").get_data(as_text=True)
    assert 'href="/service/requests"' in home and 'href="/service/tickets"' in home
    assert "No service requests yet." in home and "Enter a request" in home
    tickets = agent.get("/service/tickets").get_data(as_text=True)
    assert "No tickets yet. Each service request opens one" in tickets
    filtered = agent.get("/service/requests?type=complaint").get_data(as_text=True)
    assert "No service request matches these filters." in filtered


def test_a_request_entered_on_the_page_opens_its_ticket(service_app):
    world = team(service_app)
    agent = world["agent"]
    form = agent.get("/service/requests/new")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    for label in ("Inquiry", "Complaint", "Suggestion", "Walk-in", "Urgent"):
        assert label in page
    added = agent.post("/service/requests", data={
        "csrf_token": csrf(agent, "/service/requests/new"), "type": "suggestion",
        "channel": "walk_in", "customer_id": str(world["agent_customer_id"]),
        "subject": "希望延长营业时间", "content": "客户到店建议周末营业到晚上九点。",
        "priority": "low", "received_at": "2026-12-04T10:30"}, follow_redirects=True)
    html = added.get_data(as_text=True)
    assert added.status_code == 200, html
    assert "希望延长营业时间" in html and "Suggestion" in html
    assert "2026-12-04 10:30" in html  # shown back in the agent's zone (Asia/Shanghai)
    assert "-1</a>" in html and "New" in html  # the tickets panel: its first ticket, new
    listed = agent.get("/service/tickets?state=new").get_data(as_text=True)
    assert "希望延长营业时间" in listed


def test_a_viewer_reads_but_may_not_change_a_state(service_app):
    from crm_core.rbac.departments import get_department
    from crm_core.testing_clients import client_as
    from crm_core.toolkit import get_session

    world = team(service_app)
    ticket_id = new_request(world["agent_api"], world["customer_id"]).get_json()["ticket_ids"][0]
    with service_app.app_context():
        name = get_department(get_session(), world["department_id"]).name
    viewer = client_as(service_app, "viewer", department=name)
    page = viewer.get(f"/service/tickets/{ticket_id}").get_data(as_text=True)
    assert "打印机卡纸" in page and 'name="state"' not in page
    assert viewer.post(f"/service/tickets/{ticket_id}/state", data={
        "csrf_token": csrf(viewer, "/service/tickets"), "state": "assigned"}).status_code == 403


@pytest.mark.skipif(not CATALOG.exists(), reason="the service catalog is built from "
                    "/tmp/i18n/svc-service.tsv by the lead (crm i18n update/compile)")
def test_labels_and_states_show_in_chinese(service_app):
    world = team(service_app)
    agent = world["agent"]
    made = new_request(world["agent_api"], world["customer_id"]).get_json()
    page = agent.get(f"/service/tickets/{made['ticket_ids'][0]}", headers=ZH)
    html = page.get_data(as_text=True)
    for text in ("工单", "服务请求", "新建", "高", "首次响应时限", "标记为已分派"):
        assert text in html, text
    listed = agent.get("/service/requests", headers=ZH).get_data(as_text=True)
    for text in ("服务请求", "投诉", "受理时间"):
        assert text in listed, text


def test_the_customer_page_shows_the_customers_tickets(service_app):
    from crm_core.rbac.departments import get_department
    from crm_core.testing_clients import client_as
    from crm_core.toolkit import get_session

    world = team(service_app)
    admin = client_as(service_app, superuser=True, api=True)
    made = new_request(admin, world["agent_customer_id"], team_id=world["team_id"],
                       subject="发票抬头错了").get_json()
    number = f"{made['number']}-1"
    agent = world["agent"]
    page = agent.get(f"/customers/{world['agent_customer_id']}").get_data(as_text=True)
    assert number in page and "发票抬头错了" in page
    assert f"/service/requests/new?customer_id={world['agent_customer_id']}" in page
    with service_app.app_context():
        name = get_department(get_session(), world["department_id"]).name
    viewer = client_as(service_app, "viewer", department=name)
    seen = viewer.get(f"/customers/{world['agent_customer_id']}").get_data(as_text=True)
    assert number in seen and "/service/requests/new" not in seen
