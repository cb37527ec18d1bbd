"""The outbox page: what waits, why it failed, replaying with a confirmation, and the warning
an administrator sees while e-mail is not configured."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from outbox_smtp import SmtpServer, free_port
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.db import get_session, utcnow
from crm_core.outbox.delivery import drain
from crm_core.outbox.models import OutboxMessage
from crm_core.rbac.users import create_account
from crm_core.testing import create_test_user, login
from crm_core.toolkit import send_mail

SENDER = "crm@example.com"
ZH = {"Accept-Language": "zh-CN"}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def queue(app, *subjects: str) -> list[int]:
    with app.app_context():
        ids = [send_mail("client@example.com", subject, "Body.").id for subject in subjects]
        get_session().commit()
    return ids


def row(app, message_id: int) -> OutboxMessage:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = session.get(OutboxMessage, message_id)
        session.close()
    return found


def admin(app):
    return login(app.test_client(), create_test_user(app, "root", superuser=True))


@pytest.fixture
def down_app(crm_make_app):
    """E-mail configured for a server that is not running (yet)."""
    port = free_port()
    app = crm_make_app(plugins=[], CRM_SMTP_URL=f"smtp://127.0.0.1:{port}",
                       CRM_MAIL_FROM=SENDER, CRM_OUTBOX_MAX_ATTEMPTS=2)
    app.config["TEST_SMTP_PORT"] = port
    return app


def test_the_page_lists_pending_failed_and_dead_messages_with_their_last_error(down_app):
    dead, failed, pending = queue(down_app, "Dead one", "Failed one", "Pending one")
    now = utcnow()
    with down_app.app_context():
        drain(now=now, ids=[dead, failed])
        drain(now=now + dt.timedelta(hours=1), ids=[dead])
    client = admin(down_app)
    page = client.get("/admin/outbox/").get_data(as_text=True)
    for message_id, status in ((dead, "dead"), (failed, "failed"), (pending, "pending")):
        assert f'data-message="{message_id}" data-status="{status}"' in page
    assert "client@example.com: Dead one" in page
    assert "ConnectionRefusedError" in page
    assert page.count("/replay") == 3

    only_dead = client.get("/admin/outbox/?status=dead").get_data(as_text=True)
    assert f'data-message="{dead}"' in only_dead and f'data-message="{failed}"' not in only_dead
    partial = client.get("/admin/outbox/?status=failed", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    body = partial.get_data(as_text=True)
    assert body.startswith('<div id="outbox-table"') and "<html" not in body
    assert f'data-message="{failed}"' in body

    assert client.get("/admin/outbox/?status=lost").status_code == 400
    assert client.get("/admin/outbox/?before=abc").status_code == 400
    assert client.get("/admin/outbox/?before=99999999999").status_code == 400


def test_a_replay_asks_first_then_delivers_the_dead_message(down_app):
    (message_id,) = queue(down_app, "Invoice 42")
    now = utcnow()
    with down_app.app_context():
        drain(now=now)
        drain(now=now + dt.timedelta(hours=1))
    assert row(down_app, message_id).status == "dead"
    client = admin(down_app)
    url = f"/admin/outbox/{message_id}/replay"

    confirm = client.get(url)
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Replay message" in html and "Invoice 42" in html and 'method="post"' in html
    assert client.post(url, data={}).status_code == 400  # no CSRF token: nothing happens
    assert row(down_app, message_id).status == "dead"

    done = client.post(url, data={"csrf_token": csrf_token(html)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/outbox/")
    replayed = row(down_app, message_id)
    assert (replayed.status, replayed.attempts) == ("pending", 0)
    assert "will be tried again" in client.get("/admin/outbox/").get_data(as_text=True)
    with down_app.app_context():
        entry = get_session().scalar(select(AuditEntry).where(
            AuditEntry.action == "outbox_replay"))
        assert entry.username == "root" and entry.record_id == str(message_id)

    server = SmtpServer(down_app.config["TEST_SMTP_PORT"]).start()
    try:
        with down_app.app_context():
            assert drain().delivered == 1
        assert [message["Subject"] for message in server.messages] == ["Invoice 42"]
    finally:
        server.stop()
    sent = client.get(url)
    assert sent.status_code == 200 and "only pending, failed or dead" in \
        sent.get_data(as_text=True)
    refused = client.post(url, data={"csrf_token": csrf_token(html)})
    assert refused.status_code == 409
    assert client.get("/admin/outbox/999999/replay").status_code == 404


def test_only_outbox_managers_open_the_page(crm_make_app):
    app = crm_make_app(plugins=[])
    (message_id,) = queue(app, "Secret")
    with app.app_context():
        session = get_session()
        users = {role: create_account(session, f"u-{role}", "Kettle-Drum-42x", roles=[role])
                 for role in ("admin", "manager", "sales")}
        session.commit()
    for role, expected in (("admin", 200), ("manager", 403), ("sales", 403)):
        client = login(app.test_client(), users[role])
        assert client.get("/admin/outbox/").status_code == expected, role
        assert client.get(f"/admin/outbox/{message_id}/replay").status_code == expected, role
        token = csrf_token(client.get("/account/password").get_data(as_text=True))
        posted = client.post(f"/admin/outbox/{message_id}/replay", data={"csrf_token": token})
        assert posted.status_code == (302 if role == "admin" else 403), role
    assert row(app, message_id).status == "pending"  # the admin's replay: still waiting
    assert app.test_client().get("/admin/outbox/").status_code in (302, 401)
    menu = login(app.test_client(), users["admin"]).get("/").get_data(as_text=True)
    assert 'href="/admin/outbox/"' in menu


def test_admins_see_a_warning_while_e_mail_is_not_configured(crm_make_app):
    app = crm_make_app(plugins=[])
    queue(app, "Waiting")
    client = admin(app)
    for url in ("/", "/admin/outbox/"):
        html = client.get(url).get_data(as_text=True)
        assert "E-mail is not configured." in html, url
        assert "CRM_SMTP_URL is not set" in html and "1 message is waiting." in html, url
    nobody = login(app.test_client(), create_test_user(app, "nobody"))
    assert "E-mail is not configured" not in nobody.get("/").get_data(as_text=True)

    app.config.update(CRM_SMTP_URL="smtp://127.0.0.1:25", CRM_MAIL_FROM=SENDER)
    assert "E-mail is not configured" not in client.get("/").get_data(as_text=True)


def test_a_channel_nothing_waits_for_raises_no_warning_and_reasons_are_in_chinese(
        crm_make_app):
    """A fresh install with the ERP bridge enabled but not connected: no alarm on every page
    until an ERP message waits; the reasons read in the user's language, without "。。"."""
    from crm_core.outbox.service import enqueue

    app = crm_make_app(plugins=["customers", "erp_bridge"])
    client = admin(app)
    client.set_cookie("crm_lang", "zh_CN")
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'data-channel="mail"' in page and "原因：未设置 CRM_SMTP_URL。" in page
    assert 'data-channel="erp.odoo"' not in page
    with app.app_context():
        enqueue("erp.odoo", {"connection": "odoo", "object": "customer", "crm_id": 1,
                             "values": {"name": "华宇"}})
        get_session().commit()
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'data-channel="erp.odoo"' in page
    assert "原因：尚未设置 Odoo 连接（crm erp connect）。" in page and "。。" not in page
