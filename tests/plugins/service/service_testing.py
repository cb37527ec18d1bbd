"""Helpers of the service tests (no tests here): a service team of its own department (two
agents with page and API clients), a customer of the team, and reads straight from the
database."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask

from crm_core.testing_clients import client_as
from crm_core.testing_clients import csrf_token_of as csrf  # noqa: F401 - the tests' name
from crm_core.testing_clients import read_row as read  # noqa: F401 - the tests' name


def team(app: Flask, *, name: str | None = None) -> dict[str, Any]:
    """A fresh department with a service team, two service agents (``agent``/``agent_api``
    the team's) and a customer of each (customers' scope for the service role is the
    kernel's default, own: ``customer_id`` is ``agent_api``'s, ``agent_customer_id``
    ``agent``'s)."""
    from plugins.customers.services import create_customer
    from plugins.service.models import Team, TeamMember

    tag = uuid.uuid4().hex[:8]
    department = name or f"Service {tag}"
    agent = client_as(app, "service", department=department, username=f"agent-{tag}")
    agent_api = client_as(app, "service", department=department, username=f"agentapi-{tag}",
                          api=True)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        department_id = agent.user.department_id
        group = Team(name=f"一线支持 {tag}", department_id=department_id,
                     lead_id=agent.user.id)
        session.add(group)
        session.flush()
        session.add_all([TeamMember(team_id=group.id, user_id=agent.user.id),
                         TeamMember(team_id=group.id, user_id=agent_api.user.id)])
        customer = create_customer(session, name=f"华宇科技 {tag}", owner_id=agent_api.user.id,
                                   department_id=department_id)
        own = create_customer(session, name=f"远洋贸易 {tag}", owner_id=agent.user.id,
                              department_id=department_id)
        session.commit()
        ids = {"team_id": group.id, "customer_id": customer.id,
               "agent_customer_id": own.id, "department_id": department_id}
        session.close()
    return {"tag": tag, "agent": agent, "agent_api": agent_api, **ids}


def new_request(api: Any, customer_id: int, **more: Any) -> Any:
    """POST a complaint by phone for ``customer_id``; the answer."""
    body = {"customer_id": customer_id, "type": "complaint", "channel": "phone",
            "subject": "打印机卡纸", "content": "客户来电：新买的打印机每天卡纸。",
            "priority": "high", **more}
    return api.post("/api/v1/service/requests", json=body)
