"""Helpers of the contract, payment and invoice tests (no tests here): a team of a
department (a sales rep and a manager with API clients), a customer and a confirmed order of
theirs, and contracts made straight in the database."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import Flask

from crm_core.testing import client_as
from crm_core.testing_clients import bearer_token, isolated_client
from crm_core.testing_clients import csrf_token_of as csrf  # noqa: F401 - the tests' name
from crm_core.testing_clients import read_row as read  # noqa: F401 - the tests' name

TODAY = dt.date.today()


def api_client(app: Flask, user: Any) -> Any:
    """An API client of ``user`` (a bearer token: JSON writes need no CSRF token)."""
    client = isolated_client(app)
    client.user = user
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer_token(app, user)}"
    return client


def team(app: Flask, *, amount: int = 15_000_000) -> dict[str, Any]:
    """A fresh department with a sales rep (``rep``, ``rep_api``) and a manager
    (``manager``, ``manager_api``), the rep's customer and a confirmed order of ``amount``
    fen."""
    from plugins.customers.services import create_customer
    from plugins.sales.models import Order

    tag = uuid.uuid4().hex[:8]
    department = f"Dept {tag}"
    rep = client_as(app, "sales", department=department, username=f"rep-{tag}")
    manager = client_as(app, "manager", department=department, username=f"mgr-{tag}")
    rep_api, manager_api = api_client(app, rep.user), api_client(app, manager.user)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        customer = create_customer(session, name=f"华宇科技 {tag}",
                                   owner_id=rep_api.user.id)
        order = Order(number=f"SO-{tag}", customer_id=customer.id, status="confirmed",
                      order_date=TODAY, owner_id=rep_api.user.id,
                      department_id=rep_api.user.department_id, untaxed_amount=amount,
                      tax_amount=0, total_amount=amount)
        draft = Order(number=f"SO-{tag}-D", customer_id=customer.id, status="draft",
                      order_date=TODAY, owner_id=rep_api.user.id,
                      department_id=rep_api.user.department_id, total_amount=amount)
        session.add_all([order, draft])
        session.commit()
        ids = {"customer_id": customer.id, "order_id": order.id, "draft_order_id": draft.id}
        session.close()
    return {"tag": tag, "rep": rep, "rep_api": rep_api, "manager": manager,
            "manager_api": manager_api, **ids}


def contract_in_db(app: Flask, world: dict[str, Any], *, amount: int, status: str = "active",
                   end_date: dt.date | None = None, owner: Any = None) -> int:
    """A contract of the team's customer straight in the database; returns its id."""
    from plugins.sales.models import Contract

    owner = owner or world["rep_api"].user
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        contract = Contract(number=f"HT-{uuid.uuid4().hex[:10]}", title="测试合同",
                            customer_id=world["customer_id"], amount=amount, status=status,
                            start_date=TODAY - dt.timedelta(days=200),
                            end_date=end_date or TODAY + dt.timedelta(days=365),
                            owner_id=owner.id, department_id=owner.department_id)
        session.add(contract)
        session.commit()
        contract_id = contract.id
        session.close()
    return contract_id

