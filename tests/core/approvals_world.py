"""Helpers of the approval tests (no tests here): a small in-test plugin that asks approval
for "test.contract" records (its own table), users in two departments, and sign-in helpers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Flask, render_template_string
from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crm_core.approvals.definitions import StepInput, save_definition
from crm_core.auth.permissions import require_permission
from crm_core.db import get_session
from crm_core.rbac.departments import create_department, set_department_head
from crm_core.rbac.service import create_role, set_role_permissions
from crm_core.rbac.users import create_account
from crm_core.testing import login
from crm_core.toolkit import ApprovalCondition, ApprovalSubject, hookimpl, request_approval

PASSWORD = "Kettle-Drum-42x"
KIND = "test.contract"


class Base(DeclarativeBase):
    pass


class Contract(Base):
    """The subject records of the in-test plugin (a table of their own)."""

    __tablename__ = "test_contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    customer_id: Mapped[int] = mapped_column(BigInteger, default=0)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ContractsPlugin:
    """Declares the subject kind and a condition, and records every approval hook call."""

    def __init__(self, provider_handle: str | None = None) -> None:
        self.requested: list[dict[str, Any]] = []
        self.decided: list[dict[str, Any]] = []
        self.provider_handle = provider_handle

    @hookimpl
    def crm_approval_subjects(self) -> list[Any]:
        return [ApprovalSubject(KIND, "Contract", Contract, lambda i: f"/contracts/{i}")]

    @hookimpl
    def crm_approval_conditions(self) -> list[Any]:
        def vip(subject_id: int) -> bool:
            return get_session().get(Contract, subject_id).customer_id == 7

        return [ApprovalCondition("test.vip_customer", "Customer is a VIP", KIND, vip)]

    @hookimpl
    def crm_approval_requested(self, approval_id: int, status: str, provider: Any) -> None:
        self.requested.append({"approval_id": approval_id, "status": status,
                               "provider": provider})

    @hookimpl
    def crm_approval_decided(self, approval_id: int, subject_id: int, status: str,
                             comment: str, reason: str) -> None:
        self.decided.append({"approval_id": approval_id, "subject_id": subject_id,
                             "status": status, "comment": comment, "reason": reason})


class ProviderPlugin:
    """An OA bridge in miniature: takes every approval over."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    @hookimpl
    def crm_approval_provider(self, approval_id: int, title: str) -> Any:
        self.asked.append(approval_id)
        return f"OA-{approval_id}"


class ApiClient:
    """A test client sending ``Authorization: Bearer <token>`` with each request."""

    def __init__(self, client: Any, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=self.headers)

    def post(self, url: str, json: Any = None) -> Any:
        return self.client.post(url, json=json, headers=self.headers)


@dataclass
class World:
    app: Flask
    plugin: ContractsPlugin
    users: dict[str, Any] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)

    def client(self, name: str) -> Any:
        return login(self.app.test_client(), self.users[name])

    def contract(self, amount: int | str, customer_id: int = 0) -> int:
        with self.app.app_context():
            session = get_session()
            row = Contract(amount=Decimal(str(amount)), customer_id=customer_id)
            session.add(row)
            session.commit()
            return row.id

    def request(self, requester: str, amount: int | str | None, *, customer_id: int = 0,
                title: str = "Contract") -> Any:
        contract_id = self.contract(amount if amount is not None else 0, customer_id)
        with self.app.app_context():
            session = get_session()
            result = request_approval(KIND, contract_id, title, "Details of the contract",
                                      amount=amount, requester=self.users[requester].id,
                                      session=session)
            session.commit()
            return result

    def definition(self, steps: list[StepInput], min_amount: Any = None,
                   condition: str | None = None, name: str = "Contracts") -> int:
        with self.app.app_context():
            session = get_session()
            definition = save_definition(session, None, name=name, subject_kind=KIND,
                                         steps=steps, min_amount=min_amount,
                                         condition=condition)
            session.commit()
            return definition.id

    def api(self, name: str) -> ApiClient:
        """A client of the API signed in by a bearer token of ``name``."""
        from crm_core.api.tokens import create_token
        from crm_core.auth.models import User

        with self.app.app_context():
            session = get_session()
            _row, plain = create_token(session, session.get(User, self.users[name].id))
            session.commit()
        return ApiClient(self.app.test_client(), plain)

    def user_id(self, name: str) -> int:
        return self.users[name].id


CONTRACT_PAGE = """{% extends "core/base.html" %}{% block content %}<h1>Contract</h1>
{% with subject_kind="test.contract", subject_id=contract_id %}
{% include "core/approvals/_history.html" %}{% endwith %}{% endblock %}"""


def contract_page(contract_id: int) -> str:
    """The in-test plugin's record page: one include shows the record's approvals."""
    return render_template_string(CONTRACT_PAGE, contract_id=contract_id)


def build_world(app: Flask, plugin: ContractsPlugin | None = None) -> World:
    """Departments Sales (head: the manager) and Finance; users: a sales rep (requester),
    a second sales rep, the manager, two finance clerks (custom role "finance"), a viewer
    and an outsider from another department."""
    plugin = plugin or ContractsPlugin()
    app.extensions["crm"].pm.register(plugin, name="contracts")
    app.add_url_rule("/contracts/<int:contract_id>", "contract_page",
                     require_permission()(contract_page))
    Base.metadata.create_all(app.extensions["crm_db"].engine)
    world = World(app, plugin)
    with app.app_context():
        session = get_session()
        sales = create_department(session, "Sales")
        finance = create_department(session, "Finance")
        other = create_department(session, "Other")
        world.departments = {"Sales": sales.id, "Finance": finance.id, "Other": other.id}
        role = create_role(session, "finance", "Finance")
        set_role_permissions(session, role.id, {"core.approvals.decide"})
        specs = {"sales": (["sales"], sales.id), "sales2": (["sales"], sales.id),
                 "manager": (["manager"], sales.id), "finance1": (["finance"], finance.id),
                 "finance2": (["finance"], finance.id), "viewer": (["viewer"], sales.id),
                 "outsider": (["sales"], other.id), "admin": (["admin"], None)}
        for name, (roles, department_id) in specs.items():
            world.users[name] = create_account(session, name, PASSWORD, roles=roles,
                                               department_id=department_id,
                                               email=f"{name}@example.com")
        session.flush()
        set_department_head(session, sales.id, world.users["manager"].id)
        session.commit()
        for user in world.users.values():
            session.expunge(user)
    return world


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def decide_in_ui(client: Any, approval_id: int, decision: str, comment: str = "") -> Any:
    """Open the approval's page and press Approve or Reject with a comment."""
    page = client.get(f"/approvals/{approval_id}")
    assert page.status_code == 200, page.status_code
    return client.post(f"/approvals/{approval_id}/decide", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "decision": decision,
        "comment": comment})
