"""``crm_notification_sent``: one call per ``notify``, whatever the recipients chose (what a
group robot needs), in the sender's transaction; a raising listener never breaks the save."""

from __future__ import annotations

from crm_core.db import get_session
from crm_core.rbac.users import create_account
from crm_core.toolkit import notify

SHOUT = '''
from crm_core.toolkit import NotificationKind, PluginInfo, hookimpl

PLUGIN = PluginInfo(name="shout", version="1.0", title="Shout")
HEARD = []


@hookimpl
def crm_notification_kinds():
    return [NotificationKind("shout.news", "News", default_channels=())]


@hookimpl
def crm_notification_sent(kind, title, notification_ids):
    HEARD.append((kind, title, len(notification_ids)))
    if title == "boom":
        raise RuntimeError("the group chat is down")
'''


def test_the_hook_hears_each_notify_once_and_a_failing_listener_is_isolated(
        crm_make_app, crm_install_plugin):
    crm_install_plugin("shout", SHOUT)
    app = crm_make_app(plugins=["shout"])
    from shout_plugin.plugin import HEARD

    with app.app_context():
        session = get_session()
        ids = [create_account(session, name, "Kettle-Drum-42x").id for name in ("ann", "bob")]
        notify(ids, "shout.news", "Won a deal")  # nobody chose a channel for it
        notify(ids, "system", "boom")
        session.commit()
        assert HEARD == [("shout.news", "Won a deal", 0), ("system", "boom", 2)]
