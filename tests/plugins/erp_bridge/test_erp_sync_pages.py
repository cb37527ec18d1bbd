"""The sync settings page (direction, field mapping, conflict policy per object) and the sync
log page: a customer the ERP refuses (a mapping that sends its code as the VAT number) shows
with the ERP's message, and once the mapping is put right "Send again" brings it to the ERP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_odoo import FakeOdoo
from sqlalchemy import delete

from crm_core.db import get_session
from crm_core.outbox.delivery import drain
from crm_core.outbox.models import OutboxMessage
from crm_core.testing_clients import client_as, csrf_token_of
from plugins.customers import services as customers
from plugins.erp_bridge.connections.services import save_connection
from plugins.erp_bridge.models import ErpConnection
from plugins.erp_bridge.sync.settings import DEFAULT_FIELDS, newest_wins, object_settings


@pytest.fixture
def odoo(erp_app) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=19) as fake:
        with erp_app.app_context():
            session = get_session()
            session.execute(delete(ErpConnection))
            session.execute(delete(OutboxMessage))
            save_connection(session, {"name": "odoo", "kind": "odoo", "url": fake.url,
                                      "database": fake.database, "login": fake.login,
                                      "secret": fake.api_key})
            session.commit()
        yield fake


def _post_customers(admin, token: str, fields: str, direction: str = "push") -> int:
    return admin.post("/erp/sync/customers", data={
        "customers-csrf_token": token, "customers-direction": direction,
        "customers-policy": "crm", "customers-fields": fields}).status_code


def test_a_refused_customer_shows_on_the_log_and_is_sent_again_when_put_right(
        erp_app, odoo) -> None:
    admin = client_as(erp_app, "admin")
    page = admin.get("/erp/sync/")
    assert page.status_code == 200 and "name = name" in page.get_data(as_text=True)
    token = csrf_token_of(admin, "/erp/sync/")
    assert _post_customers(admin, token, "name = name\nvat = code") == 302
    assert _post_customers(admin, token, "name = nowhere") == 400
    assert _post_customers(admin, token, "", direction="pull") == 400  # not offered
    with erp_app.app_context():
        assert object_settings("customers").fields == {"name": "name", "vat": "code"}
        customer = customers.create_customer(get_session(), name="税号不对的客户")
        get_session().commit()
        drain()
    log = admin.get("/erp/sync/log").get_data(as_text=True)
    assert f"crm-customer-{customer.id}" in log and "does not seem to be valid" in log
    assert not odoo.store.records["res.partner"]

    assert _post_customers(admin, token, "") == 302  # empty: the defaults again
    with erp_app.app_context():
        assert object_settings("customers").fields == DEFAULT_FIELDS["customers"]
        from plugins.erp_bridge.sync.log import refused_records
        [(_name, row)] = refused_records(get_session())
        mapping_id = row.id
    replayed = admin.post(f"/erp/sync/log/{mapping_id}/replay",
                          data={"csrf_token": csrf_token_of(admin, "/erp/sync/log")})
    assert replayed.status_code == 302
    with erp_app.app_context():
        drain()
    assert odoo.store.refs("res.partner")[f"crm-customer-{customer.id}"] == 1
    assert "Nothing was refused" in admin.get("/erp/sync/log").get_data(as_text=True)
    assert client_as(erp_app, "viewer").get("/erp/sync/log").status_code == 403


def test_newest_wins_compares_the_erp_write_date() -> None:
    import datetime as dt

    crm = dt.datetime(2026, 6, 1, 8, 0, 30, tzinfo=dt.UTC)
    assert newest_wins("2026-06-01 08:01:00", crm)
    assert not newest_wins("2026-06-01 08:00:00", crm)
