"""``crm_core.testing`` as a plugin author uses it: users with roles and a department, a
client signed in for a role whose requests stay out of the test's app context, and one
test run on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select

from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.rbac.models import Department
from crm_core.rbac.service import user_role_names
from crm_core.testing import DATABASES, client_as, create_test_user

pytestmark = pytest.mark.crm_plugins("example")


def test_create_test_user_gives_roles_and_a_department_created_once(crm_app):
    first = create_test_user(crm_app, "li", roles=["sales", "viewer"], department="East")
    second = create_test_user(crm_app, "zhao", roles=["manager"], department="East",
                              timezone="Europe/Berlin")
    with crm_app.app_context():
        session = get_session()
        departments = session.scalars(select(Department).where(Department.name == "East"))
        (east,) = departments.all()
        assert first.department_id == second.department_id == east.id
        assert user_role_names(session, first.id) == ["sales", "viewer"]
        assert session.get(User, second.id).timezone == "Europe/Berlin"


def test_a_client_for_a_role_has_that_roles_permissions(crm_client_as):
    rep = crm_client_as("sales", department="Team A")
    viewer = crm_client_as("viewer")
    assert rep.user.username.startswith("sales-") and rep.user.department_id is not None
    assert rep.get("/example/notes").status_code == 200
    assert rep.get("/admin/users").status_code == 403
    assert viewer.get("/account/preferences").status_code == 200
    assert crm_client_as(None, superuser=True).get("/admin/users").status_code == 200


def test_requests_do_not_leak_into_the_tests_app_context(crm_app, crm_client_as):
    rep = crm_client_as("sales")
    with crm_app.app_context():
        mine = get_session()
        g.marker = "the test's"
        assert rep.get("/example/notes").status_code == 200
        assert rep.get("/account/preferences").status_code == 200
        # the test's context is as it was: same session, still open; nobody signed in
        assert get_session() is mine and mine.is_active
        assert g.marker == "the test's"
        assert "_login_user" not in g  # Flask-Login's signed-in user of the request
        assert "crm_role_scopes" not in g
        mine.execute(select(User.id)).all()  # not closed by a request's teardown


@pytest.mark.parametrize("database", DATABASES)
def test_one_test_runs_on_sqlite_and_on_postgresql(crm_make_app, database):
    app = crm_make_app(plugins=["example"], database=database)
    assert app.extensions["crm_db"].engine.dialect.name == (
        "sqlite" if database == "sqlite" else "postgresql")
    client = client_as(app, "sales", department="Team A")
    assert client.get("/example/notes").status_code == 200
