"""Connections: `crm erp connect` and `crm erp status --json`, the key sealed at rest and
never shown back (CLI, status, settings page, operation log), the settings page guarded by
erp_bridge.connection.manage, and the key expiry warning."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from fake_odoo import FakeOdoo
from sqlalchemy import select

from crm_core.testing import invoke_cli
from crm_core.testing_clients import client_as, csrf_token_of
from plugins.erp_bridge.models import ErpConnection

KEY = "0f6c1b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"
#: The address of connections that are never called: a local port nothing listens on (the
#: beat's pull in test_erp_pull.py tries every active connection of the shared app).
NOWHERE = "http://127.0.0.1:9"


def _stored(app, name: str) -> ErpConnection:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        row = session.scalar(select(ErpConnection).where(ErpConnection.name == name))
        session.expunge_all()
        session.close()
        return row


def test_crm_erp_connect_seals_the_key_and_status_never_prints_it(erp_app, tmp_path) -> None:
    from crm_core.toolkit import unseal

    name = f"odoo-{uuid.uuid4().hex[:6]}"
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY + "\n")
    result = invoke_cli(erp_app, "erp", "connect", "--name", name, "--kind", "odoo",
                        "--url", NOWHERE, "--database", "prod",
                        "--login", "crm-bot", "--api-key-file", str(key_file),
                        "--key-expires", (dt.date.today() + dt.timedelta(days=5)).isoformat())
    assert result.exit_code == 0, result.output
    stored = _stored(erp_app, name)
    assert KEY not in stored.credentials
    with erp_app.app_context():
        assert unseal(stored.credentials) == KEY
    status = invoke_cli(erp_app, "erp", "status", "--json")
    assert status.exit_code == 0 and KEY not in status.output
    [row] = [row for row in json.loads(status.output)["connections"] if row["name"] == name]
    assert (row["kind"], row["state"], row["credentials"]) == ("odoo", "active", "set")
    assert row["key_expires_in_days"] == 5 and row["key_expiry_warning"]


def test_crm_erp_connect_refuses_a_bad_webhook_secret_and_a_missing_odoo_field(
        erp_app, tmp_path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("not-a-whsec-secret")
    refused = invoke_cli(erp_app, "erp", "connect", "--name", "hook-bad", "--kind", "webhook",
                         "--secret-file", str(secret_file))
    assert refused.exit_code == 2 and "whsec_" in refused.output
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY)
    missing = invoke_cli(erp_app, "erp", "connect", "--name", "odoo-bad", "--url",
                         NOWHERE, "--api-key-file", str(key_file))
    assert missing.exit_code == 2 and "--database" in missing.output


def test_the_settings_page_saves_a_key_it_never_shows_nor_logs(erp_app) -> None:
    from crm_core.audit.models import AuditEntry

    admin = client_as(erp_app, "admin")
    name = f"odoo-{uuid.uuid4().hex[:6]}"
    form = {"csrf_token": csrf_token_of(admin, "/erp/connections"), "name": name,
            "kind": "odoo", "url": NOWHERE, "database": "prod",
            "login": "crm-bot", "secret": KEY, "transport": "xmlrpc", "key_expires_on": ""}
    saved = admin.post("/erp/connections", data=form)
    assert saved.status_code == 302
    stored = _stored(erp_app, name)
    assert stored.transport == "xmlrpc" and KEY not in stored.credentials
    page = admin.get(f"/erp/connections/{name}").get_data(as_text=True)
    assert name in page and KEY not in page and stored.credentials not in page
    # saving without typing the key again keeps it
    again = {**form, "csrf_token": csrf_token_of(admin, f"/erp/connections/{name}"),
             "secret": "", "url": "http://127.0.0.1:10"}
    assert admin.post(f"/erp/connections/{name}", data=again).status_code == 302
    assert _stored(erp_app, name).credentials == stored.credentials
    with erp_app.app_context():
        session = erp_app.extensions["crm_db"].new_session()
        logged = [entry.changes for entry in session.scalars(select(AuditEntry).where(
            AuditEntry.model == "erp_bridge_connection",
            AuditEntry.record_id == str(stored.id)))]
        session.close()
    assert logged and all(KEY not in text and stored.credentials not in text
                          for text in logged)
    assert '"***"' in logged[0]


def test_the_settings_page_needs_the_manage_permission(erp_app) -> None:
    viewer = client_as(erp_app, "viewer")
    assert viewer.get("/erp/connections").status_code == 403
    refused = client_as(erp_app, "admin").post("/erp/connections", data={
        "name": "Bad Name!", "kind": "odoo"})
    assert refused.status_code == 400  # no CSRF token


@pytest.mark.parametrize("version", [19, 17])
def test_checking_a_connection_stops_it_on_a_refused_key_and_starts_it_when_it_works(
        erp_app, tmp_path, version) -> None:
    name = f"odoo-{uuid.uuid4().hex[:6]}"
    key_file = tmp_path / "key.txt"
    key_file.write_text("a-revoked-key")
    with FakeOdoo(version=version) as fake:
        connect = ["erp", "connect", "--name", name, "--url", fake.url, "--database",
                   fake.database, "--login", fake.login, "--api-key-file", str(key_file)]
        assert invoke_cli(erp_app, *connect).exit_code == 0
        refused = invoke_cli(erp_app, "erp", "check", name)
        assert refused.exit_code == 1
        assert json.loads(refused.output)["state"] == "stopped"
        assert _stored(erp_app, name).state == "stopped"
        key_file.write_text(fake.api_key)
        assert invoke_cli(erp_app, *connect).exit_code == 0  # a new key starts it again
        admin = client_as(erp_app, "admin")
        token = csrf_token_of(admin, f"/erp/connections/{name}")
        assert admin.post(f"/erp/connections/{name}/check",
                          data={"csrf_token": token}).status_code == 302
    stored = _stored(erp_app, name)
    assert (stored.state, stored.erp_version) == ("active", f"{version}.0")
