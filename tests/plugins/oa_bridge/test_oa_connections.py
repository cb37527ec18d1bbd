"""Connections: ``crm oa connect`` and the settings page keep the app's secrets sealed, never
show them back, never log them, and only administrators reach the page."""

from __future__ import annotations

import json

import pytest
from oa_testing import AES_KEY, APP_SECRET, TOKEN, build
from sqlalchemy import select

pytestmark = pytest.mark.crm_plugins("oa_bridge")


@pytest.fixture
def world(crm_app, tmp_path):
    built = build(crm_app, tmp_path)
    yield built
    built.fake.stop()


def stored(world, name: str):
    from crm_core.db import get_session
    from plugins.oa_bridge.models import OaConnection

    with world.app.app_context():
        row = get_session().scalar(select(OaConnection).where(OaConnection.name == name))
        if row is not None:
            get_session().expunge(row)
        return row


def audit_text(world) -> str:
    from crm_core.audit.models import AuditEntry
    from crm_core.db import get_session

    with world.app.app_context():
        return json.dumps([(row.message, row.changes) for row in
                           get_session().scalars(select(AuditEntry))], ensure_ascii=False)


def test_the_cli_seals_the_secrets_and_the_log_never_holds_them(world):
    row = stored(world, "dt")
    assert row.kind == "dingtalk" and row.app_key == "dingapp123" and row.corp_id == "dingcorp9"
    for secret in (APP_SECRET, TOKEN, AES_KEY):
        assert secret not in row.secrets
    logged = audit_text(world)
    assert "***" in logged  # the row change is logged, its secrets masked
    for secret in (APP_SECRET, TOKEN, AES_KEY):
        assert secret not in logged
    # a wrong key is refused with a message, not stored
    result = world.app.test_cli_runner().invoke(args=[
        "oa", "connect", "--name", "bad", "--kind", "wecom", "--corp-id", "c",
        "--token", "t"])
    assert result.exit_code != 0 and stored(world, "bad") is None


def test_the_settings_page_adds_and_edits_without_showing_secrets(world):
    from crm_core.testing_clients import csrf_token_of

    admin = world.login("root")
    page = admin.get("/oa/connections").get_data(as_text=True)
    assert "/oa/callback/dt" in page
    form = admin.get(f"/oa/connections/{stored(world, 'dt').id}").get_data(as_text=True)
    for secret in (APP_SECRET, TOKEN, AES_KEY):
        assert secret not in form
    values = {"name": "dt2", "kind": "dingtalk", "app_key": "k2", "corp_id": "", "agent_id": "",
              "app_secret": "s2", "token": "t2", "aes_key": AES_KEY, "base_url": "",
              "active": "y", "csrf_token": csrf_token_of(admin, "/oa/connections/new")}
    short = admin.post("/oa/connections/new", data={**values, "aes_key": "short"})
    assert short.status_code == 400 and "43" in short.get_data(as_text=True)
    assert admin.post("/oa/connections/new", data=values).status_code == 302
    first = stored(world, "dt2").secrets
    edit = {**values, "app_key": "k3", "app_secret": "", "token": "", "aes_key": ""}
    url = f"/oa/connections/{stored(world, 'dt2').id}"
    assert admin.post(url, data=edit).status_code == 302
    row = stored(world, "dt2")
    assert row.app_key == "k3"
    with world.app.app_context():
        from plugins.oa_bridge.connections.services import connection_secrets

        kept = connection_secrets(row)
        assert (kept.app_secret, kept.token, kept.aes_key) == ("s2", "t2", AES_KEY)
        assert "s2" not in repr(kept)
    assert first != "" and "s2" not in audit_text(world)


def test_only_connection_managers_reach_the_settings(world):
    assert world.login("viewer").get("/oa/connections").status_code == 403
    assert world.login("boss").get("/oa/connections/new").status_code == 403
