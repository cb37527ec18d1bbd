"""Helpers of the Resource tests (no tests here): the example plugin's notes, two
departments' sales reps, a viewer, a marketer, and notes added fast."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from crm_core.rbac.users import create_account
from crm_core.testing import login

PASSWORD = "Kettle-Drum-42x"


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@dataclass
class World:
    app: Any
    users: dict[str, Any] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)

    def client(self, name: str) -> Any:
        return login(self.app.test_client(), self.users[name])

    @staticmethod
    def token(client: Any) -> str:
        """The CSRF token of ``client``'s session."""
        return csrf(client.get("/").get_data(as_text=True))

    def add_notes(self, owner: str, count: int, *, title: str = "Note", start: int = 0,
                  **values: Any) -> list[int]:
        """``count`` notes of ``owner`` (titles ``<title> 000``...), created a day apart."""
        from crm_plugin_example.models import Note

        user = self.users[owner]
        base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        with self.app.app_context():
            session = get_session()
            notes = [Note(title=f"{title} {start + number:03d}", body="", owner_id=user.id,
                          department_id=user.department_id,
                          created_at=base + dt.timedelta(days=start + number), **values)
                     for number in range(count)]
            session.add_all(notes)
            session.commit()
            return [note.id for note in notes]


def build(app: Any) -> World:
    world = World(app)
    with app.app_context():
        session = get_session()
        east = create_department(session, "East")
        west = create_department(session, "West")
        world.departments = {"East": east.id, "West": west.id}
        for name, roles, department in [("sally", ["sales"], east), ("wes", ["sales"], west),
                                        ("vic", ["viewer"], east), ("mia", ["marketing"], east),
                                        ("root", ["admin"], None)]:
            world.users[name] = create_account(
                session, name, PASSWORD, roles=roles,
                department_id=department.id if department else None)
        session.commit()
        for user in world.users.values():
            session.refresh(user)
            session.expunge(user)
    return world
