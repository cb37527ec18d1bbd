"""Channels and choices: each user picks, per kind, how notifications reach them; e-mail goes
through the outbox in the sender's transaction and out through a real SMTP server; plugins
add kinds and channels through hooks."""

from __future__ import annotations

import re
import socket
import time

import pytest
from sqlalchemy import func, select

from crm_core.db import get_session
from crm_core.notifications.models import Notification
from crm_core.outbox.models import OutboxMessage
from crm_core.rbac.users import create_account
from crm_core.testing import login
from crm_core.toolkit import notify

PASSWORD = "Kettle-Drum-42x"


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=[])


def make_user(app, name: str, email: str | None = None):
    with app.app_context():
        session = get_session()
        user = create_account(session, name, PASSWORD, roles=["sales"], email=email)
        session.commit()
        session.expunge(user)
    return user


def send(app, user_ids, title="Server maintenance tonight", body="From 22:00 to 23:00.",
         link="/customers/7", kind="system") -> list[int]:
    with app.app_context():
        session = get_session()
        ids = [n.id for n in notify(user_ids, kind, title, body, link)]
        session.commit()
        return ids


def outbox_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(get_session().scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def choose(browser, ticked: list[str], reset: bool = False):
    page = browser.get("/notifications/preferences").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, **{name: "y" for name in ticked}}
    data["reset" if reset else "save"] = "1"
    return browser.post("/notifications/preferences", data=data, follow_redirects=True)


def ticked(html: str) -> set[str]:
    return set(re.findall(r'<input[^>]*checked[^>]*name="([^"]+)"', html)
               + re.findall(r'<input[^>]*name="([^"]+)"[^>]*checked', html))


def test_the_settings_page_is_a_table_of_kinds_and_channels_showing_the_defaults(app):
    ann = make_user(app, "ann", "ann@example.com")
    page = login(app.test_client(), ann).get("/notifications/preferences")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "System messages" in html and "In the CRM" in html and "E-mail" in html
    assert {"system--in_app", "system--email"} <= set(re.findall(r'name="([a-z_.]+--[a-z_.]+)"',
                                                                 html))
    assert "system--in_app" in ticked(html) and "system--email" not in ticked(html)
    assert 'id="no-email"' not in html


def test_email_chosen_queues_an_outbox_mail_and_not_chosen_queues_none(app):
    ann = make_user(app, "ann", "ann@example.com")
    browser = login(app.test_client(), ann)
    send(app, ann.id)  # the system kind's default: in the CRM only
    assert outbox_rows(app) == []

    saved = choose(browser, ["system--in_app", "system--email"])
    assert "Your notification choices were saved." in saved.get_data(as_text=True)
    assert {"system--in_app", "system--email"} <= ticked(saved.get_data(as_text=True))
    (sent,) = send(app, ann.id)
    (row,) = outbox_rows(app)
    assert row.channel == "mail" and row.status == "pending"
    assert row.idempotency_key == f"notification-{sent}-email"
    assert row.payload["to"] == ["ann@example.com"]
    assert row.payload["subject"] == "Server maintenance tonight"
    assert "From 22:00 to 23:00." in row.payload["text"]
    assert f"/notifications/{sent}/open" in row.payload["text"]  # opening it marks it read
    assert f"/notifications/{sent}/open" in row.payload["html"]

    choose(browser, ["system--in_app"])
    send(app, ann.id)
    assert len(outbox_rows(app)) == 1  # e-mail switched off again: nothing more queued


def test_in_app_switched_off_keeps_the_bell_quiet_but_the_email_goes(app):
    ann = make_user(app, "ann", "ann@example.com")
    browser = login(app.test_client(), ann)
    choose(browser, ["system--email"])
    send(app, ann.id, "Only by mail")
    assert len(outbox_rows(app)) == 1
    assert 'data-count' not in browser.get("/notifications/bell").get_data(as_text=True)
    assert "Only by mail" not in browser.get("/notifications").get_data(as_text=True)
    assert browser.get("/api/v1/notifications").get_json()["items"] == []

    choose(browser, [])  # nothing at all: nothing is written
    assert send(app, ann.id, "Nowhere") == []


def test_the_defaults_come_back_after_use_the_defaults(app):
    ann = make_user(app, "ann", "ann@example.com")
    browser = login(app.test_client(), ann)
    choose(browser, ["system--email"])
    reset = choose(browser, [], reset=True)
    assert "Your notifications use the defaults again." in reset.get_data(as_text=True)
    assert ticked(reset.get_data(as_text=True)) >= {"system--in_app"}
    send(app, ann.id)
    assert outbox_rows(app) == []


def test_a_user_without_an_email_address_gets_the_notification_in_the_crm_only(app):
    bob = make_user(app, "bob")
    browser = login(app.test_client(), bob)
    page = browser.get("/notifications/preferences").get_data(as_text=True)
    assert 'id="no-email"' in page
    choose(browser, ["system--in_app", "system--email"])
    send(app, bob.id)
    assert outbox_rows(app) == []
    assert browser.get("/api/v1/notifications/unread-count").get_json() == {"count": 1}


def test_the_email_is_queued_in_the_senders_transaction(app):
    ann = make_user(app, "ann", "ann@example.com")
    choose(login(app.test_client(), ann), ["system--in_app", "system--email"])
    with app.app_context():
        session = get_session()
        notify([ann.id], "system", "Rolled back")
        session.rollback()
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_kind_defaulting_to_email_mails_everyone_who_did_not_choose(app):
    ann, bob = make_user(app, "ann", "ann@example.com"), make_user(app, "bob", "bob@example.com")
    choose(login(app.test_client(), bob), ["approval.requested--in_app"])
    send(app, [ann.id, bob.id], "Approve discount", kind="approval.requested")
    assert [row.payload["to"] for row in outbox_rows(app)] == [["ann@example.com"]]


# -- a real SMTP server ------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    controller = Controller(Collect(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, received
    controller.stop()


def test_a_chosen_email_reaches_a_real_smtp_server_after_commit(crm_make_app, smtp_server):
    controller, received = smtp_server
    app = crm_make_app(plugins=[], CRM_SMTP_URL=f"smtp://127.0.0.1:{controller.port}",
                       CRM_MAIL_FROM="CRM <crm@example.com>",
                       CRM_BASE_URL="https://crm.example.com")
    ann = make_user(app, "ann", "ann@example.com")
    choose(login(app.test_client(), ann), ["system--in_app", "system--email"])
    (sent,) = send(app, ann.id, "Your export is ready", "12 customers exported.")
    from crm_core.outbox.delivery import drain

    with app.app_context():
        report = drain()
    assert report.delivered == 1
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    (mail,) = received
    assert mail["To"] == "ann@example.com" and mail["Subject"] == "Your export is ready"
    text = next(part for part in mail.walk() if part.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert "12 customers exported." in body
    assert f"https://crm.example.com/notifications/{sent}/open" in body


# -- plugins add kinds and channels -------------------------------------------------------------

PAGER = '''
from crm_core.toolkit import (PluginInfo, hookimpl, NotificationChannel, NotificationKind)

PLUGIN = PluginInfo(name="pager", version="1.0", title="Pager")
SENT = []


def page(notification, user, session):
    SENT.append((user.username, notification.title))


@hookimpl
def crm_notification_kinds():
    return [NotificationKind("pager.alarm", "Alarms", ("in_app", "pager.beep"))]


@hookimpl
def crm_notification_channels():
    return [NotificationChannel("pager.beep", "Pager", page)]
'''


def test_a_plugin_adds_a_kind_and_a_channel_that_users_can_choose(crm_make_app,
                                                                  crm_install_plugin):
    crm_install_plugin("pager", PAGER)
    app = crm_make_app(plugins=["pager"])
    from pager_plugin.plugin import SENT

    ann, bob = make_user(app, "ann"), make_user(app, "bob")
    page = login(app.test_client(), ann).get("/notifications/preferences")
    assert "Alarms" in page.get_data(as_text=True) and "pager.alarm--pager.beep" in \
        page.get_data(as_text=True)
    choose(login(app.test_client(), bob), ["pager.alarm--in_app"])
    send(app, [ann.id, bob.id], "Server room too hot", kind="pager.alarm")
    assert SENT == [("ann", "Server room too hot")]


BROKEN = '''
from crm_core.toolkit import PluginInfo, hookimpl, NotificationKind

PLUGIN = PluginInfo(name="PLUGIN_NAME", version="1.0", title="Broken")


@hookimpl
def crm_notification_kinds():
    return [NotificationKind(KIND, "Mine"), NotificationKind("PLUGIN_NAME.other", "Other"),
            NotificationKind(KIND, "Mine again")]
'''


@pytest.mark.parametrize(("plugin", "kind", "message"), [
    ("poacher", "system", "plugin 'poacher': notification kind 'system' must start with "
                          "'poacher.'"),
    ("twice", "twice.alarm", "notification kind 'twice.alarm' is registered twice: by plugin "
                             "'twice' and by plugin 'twice'"),
    ("shouty", "shouty.Bad Name", "must be lower case letters"),
])
def test_a_kind_outside_its_plugins_name_or_declared_twice_stops_the_app(
        crm_make_app, crm_install_plugin, plugin, kind, message):
    from crm_core.errors import CrmError

    crm_install_plugin(plugin, BROKEN.replace("PLUGIN_NAME", plugin).replace("KIND", repr(kind)))
    with pytest.raises(CrmError, match=re.escape(message)):
        crm_make_app(plugins=[plugin], migrate=False)


def test_a_failing_channel_never_breaks_the_senders_save(crm_make_app, crm_install_plugin):
    crm_install_plugin("flaky", PAGER.replace("pager", "flaky").replace(
        "    SENT.append((user.username, notification.title))",
        "    raise RuntimeError('the pager network is down')"))
    app = crm_make_app(plugins=["flaky"])
    ann = make_user(app, "ann")
    assert len(send(app, ann.id, "Still saved", kind="flaky.alarm")) == 1
    assert login(app.test_client(), ann).get(
        "/api/v1/notifications/unread-count").get_json() == {"count": 1}


@pytest.mark.parametrize("database", ["sqlite",
                                      pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_channel_whose_database_write_fails_is_undone_alone(crm_make_app, crm_install_plugin,
                                                              database):
    crm_install_plugin("clumsy", PAGER.replace("pager", "clumsy").replace(
        "    SENT.append((user.username, notification.title))",
        "    from sqlalchemy import text\n"
        "    session.execute(text('INSERT INTO no_such_table VALUES (1)'))"))
    app = crm_make_app(plugins=["clumsy"], database=database)
    ann = make_user(app, "ann")
    (sent,) = send(app, ann.id, "Saved all the same", kind="clumsy.alarm")
    with app.app_context():
        assert get_session().get(Notification, sent).title == "Saved all the same"
