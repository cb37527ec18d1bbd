"""The first administrator and user commands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core.auth.models import User
from crm_core.auth.passwords import verify_password
from crm_core.testing import invoke_cli


def _users(app) -> list[User]:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        users = list(session.scalars(select(User)))
        session.close()
        return users


def test_first_admin_is_created_once_with_a_password_printed_once(crm_app, monkeypatch):
    monkeypatch.delenv("CRM_ADMIN_PASSWORD", raising=False)
    first = invoke_cli(crm_app, "users", "ensure-admin")
    assert first.exit_code == 0, first.output
    password = next(line.split()[1] for line in first.output.splitlines()
                    if line.strip().startswith("password:"))
    [admin] = _users(crm_app)
    assert admin.username == "admin" and admin.is_superuser
    assert admin.password_hash.startswith("$argon2id$")
    assert verify_password(admin.password_hash, password)

    again = invoke_cli(crm_app, "users", "ensure-admin")
    assert again.exit_code == 0
    assert password not in again.output and "no administrator created" in again.output
    assert len(_users(crm_app)) == 1


def test_first_admin_takes_the_password_from_the_environment(crm_app, monkeypatch):
    monkeypatch.setenv("CRM_ADMIN_PASSWORD", "chosen-by-ops-1")
    result = invoke_cli(crm_app, "users", "ensure-admin", "--username", "root")
    assert "chosen-by-ops-1" not in result.output
    [admin] = _users(crm_app)
    assert admin.username == "root"
    assert verify_password(admin.password_hash, "chosen-by-ops-1")


def test_users_create_refuses_a_taken_name_in_one_line(crm_app):
    assert invoke_cli(crm_app, "users", "create", "ada", "--password", "long-enough").exit_code == 0
    with pytest.raises(Exception, match="already taken"):
        result = invoke_cli(crm_app, "users", "create", "ADA", "--password", "long-enough")
        raise result.exception
