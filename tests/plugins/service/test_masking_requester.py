"""号码脱敏 on a service request's page: the e-mail and phone a requester typed on the
public form are masked for a service agent, who may reveal the phone (logged) to call back;
a manager reads them in clear."""

from __future__ import annotations

import re

from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, login


class _Id:
    def __init__(self, user_id):
        self.id = user_id


def test_an_agent_sees_the_requester_masked_and_reveals_the_phone(crm_make_app):
    from plugins.customers import services as customers
    from plugins.service.models import ServiceRequest

    app = crm_make_app(plugins=["customers", "service"])
    ids = {}
    with app.app_context():
        session = get_session()
        desk = create_department(session, "客服部").id
        session.commit()
        for name, role in (("agent", "service"), ("boss", "manager")):
            session.commit()  # the user is made in another session: SQLite has one writer
            user = create_test_user(app, name)
            session.get(type(user), user.id).department_id = desk
            assign_roles(session, user.id, [role])
            ids[name] = user.id
        session.commit()
        company = customers.create_customer(session, name="远航物流", owner_id=ids["boss"])
        request = ServiceRequest(number="SR-1", customer_id=company.id, subject="发票没收到",
                                 channel="web", department_id=desk, requester_name="王五",
                                 requester_email="wang.wu@example.com",
                                 requester_phone="13700001234")
        session.add(request)
        session.commit()
        ids["request"] = request.id
    agent = login(app.test_client(), _Id(ids["agent"]))
    page = agent.get(f"/service/requests/{ids['request']}").get_data(as_text=True)
    assert "137****1234" in page and "w***@example.com" in page
    assert "13700001234" not in page and "137 0000 1234" not in page
    assert "wang.wu@example.com" not in page
    reveal = f"/sensitive/service.request/{ids['request']}/requester_phone/reveal"
    assert f'hx-post="{reveal}"' in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = agent.post(reveal, data={"index": "0", "csrf_token": token})
    assert answer.status_code == 200 and "137 0000 1234" in answer.get_data(as_text=True)
    with app.app_context():
        entry = get_session().scalars(select(AuditEntry).where(
            AuditEntry.action == "reveal")).one()
        assert (entry.model, entry.username) == ("service_request", "agent")
    boss = login(app.test_client(), _Id(ids["boss"]))
    clear = boss.get(f"/service/requests/{ids['request']}").get_data(as_text=True)
    assert "wang.wu@example.com" in clear and "137 0000 1234" in clear
