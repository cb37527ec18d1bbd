"""Data scope: a sales rep reaches only their own notes by every path; a manager sees their
department with its sub-departments; an administrator sees everything."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pytest
from crm_plugin_example.models import Note
from sqlalchemy import select

from crm_core.db import get_session
from crm_core.rbac.departments import create_department, move_department
from crm_core.rbac.models import Role
from crm_core.rbac.scope import user_scope
from crm_core.rbac.service import set_role_scopes
from crm_core.rbac.users import create_account
from crm_core.testing import invoke_cli, login

pytestmark = pytest.mark.crm_plugins("example")
PASSWORD = "Kettle-Drum-42x"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@dataclass
class Org:
    """HQ with Team A and Team B under it; a note by a rep of each team, one by nobody."""

    app: object
    users: dict[str, object] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)

    def client(self, name: str):
        return login(self.app.test_client(), self.users[name])

    def add_note(self, name: str, title: str) -> int:
        client = self.client(name)
        page = client.get("/example/notes").get_data(as_text=True)
        response = client.post("/example/notes", data={"csrf_token": csrf_token(page),
                                                        "title": title})
        assert response.status_code == 302, response.get_data(as_text=True)
        listed = client.get("/example/notes").get_data(as_text=True)
        note_id = int(re.search(rf'/example/notes/(\d+)">{re.escape(title)}<', listed)[1])
        self.notes[title] = note_id
        return note_id


def build_org(app) -> Org:
    org = Org(app)
    with app.app_context():
        session = get_session()
        hq = create_department(session, "HQ")
        team_a = create_department(session, "Team A", hq.id)
        team_b = create_department(session, "Team B", hq.id)
        org.departments = {"HQ": hq.id, "Team A": team_a.id, "Team B": team_b.id}
        for name, roles, department in [("sally", ["sales"], team_a),
                                        ("bob", ["sales"], team_b),
                                        ("mia", ["manager"], hq),
                                        ("vic", ["viewer"], team_a),
                                        ("root", ["admin"], None),
                                        ("nora", [], team_a)]:
            org.users[name] = create_account(
                session, name, PASSWORD, roles=roles,
                department_id=department.id if department else None)
        session.commit()
    org.add_note("sally", "Alpha plan")
    org.add_note("bob", "Bravo plan")
    assert invoke_cli(app, "example", "add-note", "Orphan plan").exit_code == 0  # no owner
    with app.app_context():
        org.notes["Orphan plan"] = get_session().scalar(
            select(Note.id).where(Note.title == "Orphan plan"))
    return org


def visible_titles(org: Org, name: str) -> dict[str, object]:
    """What user ``name`` sees of the notes by list, search, widget and direct id."""
    client = org.client(name)
    listed = client.get("/example/notes").get_data(as_text=True)
    searched = client.get("/api/v1/search?q=plan").get_json()["items"]
    widget = client.get("/api/v1/widgets/example.notes_per_day").get_json()
    return {
        "list": sorted(t for t in ("Alpha plan", "Bravo plan", "Orphan plan") if t in listed),
        "search": sorted(hit["title"] for hit in searched if hit["kind"] == "note"),
        "widget": sum(widget["data"]["values"]),
        "by id": sorted(title for title, note_id in org.notes.items()
                        if client.get(f"/example/notes/{note_id}").status_code == 200),
    }


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_each_user_reaches_exactly_the_notes_of_their_scope_by_every_path(crm_make_app,
                                                                          database):
    org = build_org(crm_make_app(plugins=["example"], database=database))

    def seen(titles: list[str]) -> dict[str, object]:
        return {"list": titles, "search": titles, "widget": len(titles), "by id": titles}

    assert visible_titles(org, "sally") == seen(["Alpha plan"])
    assert visible_titles(org, "bob") == seen(["Bravo plan"])
    assert visible_titles(org, "vic") == seen(["Alpha plan"])  # viewer: Team A
    assert visible_titles(org, "mia") == seen(["Alpha plan", "Bravo plan"])  # HQ and below
    assert visible_titles(org, "root") == seen(["Alpha plan", "Bravo plan", "Orphan plan"])


def test_a_note_outside_the_scope_answers_404_not_403(crm_app):
    org = build_org(crm_app)
    sally = org.client("sally")
    assert sally.get(f"/example/notes/{org.notes['Bravo plan']}").status_code == 404
    assert sally.get("/example/notes/999999").status_code == 404
    assert sally.get(f"/example/notes/{org.notes['Alpha plan']}").status_code == 200


@pytest.mark.worker
def test_export_job_writes_only_the_notes_of_the_user_who_started_it(crm_app,
                                                                     crm_start_worker):
    org = build_org(crm_app)
    jobs = {}
    for name in ("sally", "mia", "root"):
        client = org.client(name)
        page = client.get("/example/notes").get_data(as_text=True)
        started = client.post("/example/notes/export", data={"csrf_token": csrf_token(page)})
        assert started.status_code == 302
        jobs[name] = (client, started.headers["Location"])
    crm_start_worker(crm_app)
    exported = {}
    for name, (client, job_url) in jobs.items():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = client.get(f"/api/v1{job_url}").get_json()
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert job["state"] == "done", job
        text = client.get(job["download_url"]).get_data().decode("utf-8-sig")
        exported[name] = sorted(line.split(",")[1] for line in text.splitlines()[1:])
    assert exported == {"sally": ["Alpha plan"], "mia": ["Alpha plan", "Bravo plan"],
                        "root": ["Alpha plan", "Bravo plan", "Orphan plan"]}


def test_a_scope_for_the_kind_overrides_the_roles_default(crm_app):
    org = build_org(crm_app)
    with crm_app.app_context():
        session = get_session()
        sales = session.scalar(select(Role).where(Role.name == "sales"))
        set_role_scopes(session, sales.id, {"example.note": "all"})
        session.commit()
        assert user_scope(org.users["sally"], "example.note") == "all"
        assert user_scope(org.users["sally"], "customers.customer") == "own"
    assert visible_titles(org, "sally")["list"] == ["Alpha plan", "Bravo plan", "Orphan plan"]


def test_the_widest_scope_of_several_roles_wins(crm_app):
    org = build_org(crm_app)
    with crm_app.app_context():
        session = get_session()
        create_account(session, "sid", PASSWORD, roles=["sales", "viewer"],
                       department_id=org.departments["Team B"])
        session.commit()
        from crm_core.auth.models import User

        org.users["sid"] = session.scalar(select(User).where(User.username == "sid"))
        assert user_scope(org.users["sid"], "example.note") == "department"
    assert visible_titles(org, "sid")["list"] == ["Bravo plan"]


def test_moving_a_team_out_of_a_managers_department_hides_its_notes(crm_app):
    org = build_org(crm_app)
    with crm_app.app_context():
        session = get_session()
        elsewhere = create_department(session, "Branch")
        move_department(session, org.departments["Team B"], elsewhere.id)
        session.commit()
    assert visible_titles(org, "mia")["list"] == ["Alpha plan"]
    assert visible_titles(org, "bob")["list"] == ["Bravo plan"]


def test_a_user_without_roles_has_the_own_scope_and_an_unknown_user_sees_nothing(crm_app):
    from crm_core.rbac.scope import scoped

    org = build_org(crm_app)
    with crm_app.app_context():
        session = get_session()
        assert user_scope(org.users["nora"], "example.note") == "own"
        assert session.scalars(scoped(select(Note), Note, org.users["nora"].id)).all() == []
        assert len(session.scalars(scoped(select(Note), Note, org.users["root"].id)).all()) == 3
        assert session.scalars(scoped(select(Note), Note, 999999)).all() == []
        # outside a request there is no signed-in user to fall back on
        assert session.scalars(scoped(select(Note), Note)).all() == []
