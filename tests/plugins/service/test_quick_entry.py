"""Quick entry as an agent on the phone: the caller is found by a fragment of their number
as the agent types, a known number typed as a "new" caller finds the same customer, and a
form without a caller or subject says what is missing."""

from __future__ import annotations

import uuid

from service_testing import csrf, team
from sqlalchemy import func, select


def _customer_with_phone(app, world, phone):
    from plugins.customers.services import create_customer

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        customer = create_customer(session, name=f"宏达机电 {world['tag']}", phones=[phone],
                                   owner_id=world["agent"].user.id,
                                   department_id=world["department_id"])
        session.commit()
        customer_id = customer.id
        session.close()
    return customer_id


def _count_customers(app, name):
    from crm_core.toolkit import model_for_table

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        customer = model_for_table("customers_customer")
        found = session.scalar(select(func.count()).select_from(customer)
                               .where(customer.name == name))
        session.close()
    return found


def test_the_caller_is_found_by_part_of_their_number_and_the_request_opens(service_app):
    world = team(service_app)
    agent = world["agent"]
    phone = f"1391{uuid.uuid4().int % 10**7:07d}"
    customer_id = _customer_with_phone(service_app, world, phone)

    typed = agent.get(f"/service/requests/quick/callers?q={phone[-6:]}")
    assert typed.status_code == 200
    options = typed.get_data(as_text=True)
    assert f'value="{customer_id}"' in options and "宏达机电" in options

    nothing = agent.get("/service/requests/quick/callers?q=0000000000000")
    assert "No customer matches" in nothing.get_data(as_text=True)

    entered = agent.post("/service/requests/quick", data={
        "csrf_token": csrf(agent, "/service/requests/quick"), "q": phone[-6:],
        "customer_id": str(customer_id), "type": "complaint", "channel": "phone",
        "subject": "发票抬头开错", "content": "客户来电：上月发票抬头写错了公司名。",
        "priority": "high"}, follow_redirects=True)
    page = entered.get_data(as_text=True)
    assert entered.status_code == 200, page
    assert "发票抬头开错" in page and "entered" in page and "-1</a>" in page


def test_a_new_caller_with_a_known_number_is_not_entered_twice(service_app):
    world = team(service_app)
    agent = world["agent"]
    phone = f"1382{uuid.uuid4().int % 10**7:07d}"
    _customer_with_phone(service_app, world, phone)
    name = f"宏达机电 {world['tag']}"

    entered = agent.post("/service/requests/quick", data={
        "csrf_token": csrf(agent, "/service/requests/quick"), "customer_id": "",
        "name": "王晓燕", "phone": phone, "type": "inquiry", "channel": "phone",
        "subject": "询问保修期", "priority": "normal"}, follow_redirects=True)
    assert entered.status_code == 200, entered.get_data(as_text=True)
    assert _count_customers(service_app, name) == 1  # matched by the phone
    assert name in entered.get_data(as_text=True)


def test_a_form_without_a_caller_or_subject_says_what_is_missing(service_app):
    agent = team(service_app)["agent"]
    refused = agent.post("/service/requests/quick", data={
        "csrf_token": csrf(agent, "/service/requests/quick"), "customer_id": "",
        "type": "inquiry", "channel": "phone", "subject": "", "priority": "normal"})
    assert refused.status_code == 400
    assert "Choose the caller, or enter a new caller" in refused.get_data(as_text=True)
    new_caller = agent.post("/service/requests/quick", data={
        "csrf_token": csrf(agent, "/service/requests/quick"), "customer_id": "",
        "name": "李建国", "phone": "13800138000", "type": "inquiry", "channel": "phone",
        "subject": "", "priority": "normal"})
    assert new_caller.status_code == 400
    assert "This field is required." in new_caller.get_data(as_text=True)
