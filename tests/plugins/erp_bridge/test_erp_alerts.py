"""Administrators hear about a connection that needs them: a 401 stops the connection and
notifies everyone who manages connections (once, not at every refused try, and not those
without the right); a key about to lapse is warned about by the daily run on entering the
window, three days before and on the day, never twice a day; a new expiry starts over."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fake_odoo import FakeOdoo
from sqlalchemy import delete, select

from crm_core.db import get_session
from crm_core.notifications.models import Notification
from crm_core.outbox.delivery import drain
from crm_core.outbox.models import OutboxMessage
from crm_core.testing_clients import create_test_user
from crm_core.toolkit import utcnow
from plugins.erp_bridge.connections.alerts import KIND, warn_expiring_keys
from plugins.erp_bridge.connections.services import find_connection, save_connection
from plugins.erp_bridge.models import ErpConnection
from plugins.erp_bridge.sync.push import push_customer


@pytest.fixture
def odoo(erp_app) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=19) as fake:
        with erp_app.app_context():
            session = get_session()
            session.execute(delete(ErpConnection))
            session.execute(delete(OutboxMessage))
            session.execute(delete(Notification).where(Notification.kind == KIND))
            session.commit()
        yield fake


def _alerts(app, user_id: int) -> list[str]:
    with app.app_context():
        return [str(title) for title in get_session().scalars(
            select(Notification.title).where(Notification.user_id == user_id,
                                             Notification.kind == KIND)
            .order_by(Notification.id))]


def test_a_refused_key_stops_the_connection_and_tells_the_admins_once(erp_app, odoo) -> None:
    admin = create_test_user(erp_app, "erp-alert-admin", roles=["admin"])
    seller = create_test_user(erp_app, "erp-alert-seller", roles=["manager"])
    with erp_app.app_context():
        session = get_session()
        save_connection(session, {"name": "revoked", "kind": "odoo", "url": odoo.url,
                                  "database": odoo.database, "login": odoo.login,
                                  "secret": "revoked-key"})
        for crm_id in (7001, 7002):
            push_customer(session, "revoked", crm_id, {"name": f"客户 {crm_id}"})
        session.commit()
        start = utcnow()
        drain(now=start)
        drain(now=start + dt.timedelta(hours=2))
        assert find_connection(get_session(), "revoked").state == "stopped"
    assert _alerts(erp_app, admin.id) == ["ERP connection revoked stopped"]
    assert _alerts(erp_app, seller.id) == []


def test_a_lapsing_key_is_warned_about_on_the_window_three_days_before_and_the_day(
        erp_app, odoo) -> None:
    admin = create_test_user(erp_app, "erp-expiry-admin", roles=["admin"])
    today = dt.date(2027, 3, 1)
    with erp_app.app_context():
        session = get_session()
        connection = save_connection(session, {
            "name": "lapsing", "kind": "odoo", "url": odoo.url, "database": odoo.database,
            "login": odoo.login, "secret": odoo.api_key,
            "key_expires_on": today + dt.timedelta(days=30)})
        session.commit()
        runs = {}
        for offset in range(0, 32):
            day = today + dt.timedelta(days=offset)
            runs[offset] = warn_expiring_keys(session, today=day)
            runs[offset] += warn_expiring_keys(session, today=day)  # twice the same day
            session.commit()
        assert [offset for offset, warned in runs.items() if warned] == [16, 27, 30]
        save_connection(session, {"key_expires_on": today + dt.timedelta(days=90)},
                        connection)
        session.commit()
        assert warn_expiring_keys(session, today=today + dt.timedelta(days=76)) == 1
        session.commit()
    titles = _alerts(erp_app, admin.id)
    assert titles[0] == "The API key of lapsing lapses in 14 days"
    assert titles[2] == "The API key of lapsing lapses today or has lapsed"
    assert len(titles) == 4
