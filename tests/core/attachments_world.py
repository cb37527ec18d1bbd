"""Helpers of the attachment tests (no tests here): East (a sales rep, a viewer, a marketer)
and West (a sales rep), one customer each, API tokens and signed-in clients."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from crm_core.testing import login

PASSWORD = "Kettle-Drum-42x"
KIND = "customers.customer"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class World:
    """The app, its users by name, customers by department and API tokens by user."""

    app: Flask
    users: dict[str, Any] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, name: str) -> FlaskClient:
        """A browser signed in as ``name``."""
        return login(self.app.test_client(), self.users[name])

    def api(self, name: str) -> dict[str, str]:
        """The ``Authorization`` header of ``name``'s API token."""
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def upload(self, name: str, customer: str, data: bytes, file_name: str) -> Any:
        """``POST /api/v1/attachments`` as ``name`` onto the department's customer."""
        import io

        return self.app.test_client().post(
            "/api/v1/attachments", headers=self.api(name),
            data={"kind": KIND, "record_id": str(self.customers[customer]),
                  "file": (io.BytesIO(data), file_name)},
            content_type="multipart/form-data")


def csrf_of(html: str) -> str:
    """The CSRF token of a page (its meta tag or first form)."""
    match = (re.search(r'name="csrf-token"[^>]*content="([^"]+)"', html)
             or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html))
    assert match, "no CSRF token on the page"
    return match.group(1)


def build_world(app: Flask) -> World:
    """East: sales (owns East's customer), viewer, marketing; West: sales (owns West's)."""
    from crm_core.api.tokens import create_token
    from crm_core.db import get_session
    from crm_core.rbac.departments import create_department
    from crm_core.rbac.users import create_account
    from plugins.customers import services

    world = World(app)
    with app.app_context():
        session = get_session()
        east = create_department(session, "East")
        west = create_department(session, "West")
        for name, role, department in (("sales", "sales", east), ("viewer", "viewer", east),
                                       ("marketing", "marketing", east),
                                       ("west", "sales", west)):
            world.users[name] = create_account(session, f"user-{name}", PASSWORD,
                                               roles=[role], department_id=department.id)
        session.flush()
        for label, owner, department in (("East", "sales", east), ("West", "west", west)):
            world.customers[label] = services.create_customer(
                session, name=f"{label} Trading", owner_id=world.users[owner].id,
                department_id=department.id).id
        for name, user in world.users.items():
            world.tokens[name] = create_token(session, user, "tests")[1]
        session.commit()
        for user in world.users.values():
            session.expunge(user)
    return world
