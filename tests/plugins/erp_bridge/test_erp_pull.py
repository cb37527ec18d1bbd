"""Incremental pulls: `crm erp sync --object products|invoices` hands each changed record to
the erp_records_pulled listeners once, resumes after an outage where it stopped, starts over
with --full, and prints {"pushed", "pulled", "failed", "dead"} as its last line."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from fake_odoo import FakeOdoo

from crm_core.db import get_session
from crm_core.testing import invoke_cli
from crm_core.toolkit import hookimpl
from plugins.erp_bridge.connections.services import find_connection, save_connection
from plugins.erp_bridge.sync.initial import guard
from plugins.erp_bridge.sync.pull import pull


class Listener:
    """A plugin listening to erp_records_pulled (registered for one test)."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, int]] = []

    @hookimpl
    def erp_records_pulled(self, object: str, rows: list[dict]) -> None:  # noqa: A002
        self.taken += [(object, row["id"]) for row in rows]


@pytest.fixture
def listener(erp_app) -> Iterator[Listener]:
    pm = erp_app.extensions["crm"].pm
    found = Listener()
    pm.register(found)
    yield found
    pm.unregister(found)


@pytest.fixture
def odoo(erp_app) -> Iterator[tuple[FakeOdoo, str]]:
    with FakeOdoo(version=19) as fake:
        name = f"pull-{uuid.uuid4().hex[:6]}"
        with erp_app.app_context():
            save_connection(get_session(), {"name": name, "kind": "odoo", "url": fake.url,
                                            "database": fake.database, "login": fake.login,
                                            "secret": fake.api_key})
            get_session().commit()
        yield fake, name


def sync(app, name: str, *more: str) -> tuple[int, dict]:
    result = invoke_cli(app, "erp", "sync", "--connection", name, *more)
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def test_a_pull_stopped_by_an_outage_resumes_without_a_gap_or_a_repeat(
        erp_app, odoo, listener) -> None:
    fake, name = odoo
    fake.store.clock = "2026-06-01 08:00:00"  # seven products changed in the same second
    products = [fake.store.add("product.product", {"name": f"P{n}"}) for n in range(7)]
    with erp_app.app_context():
        connection = find_connection(get_session(), name)
        assert pull(get_session(), connection, "products", page=3, max_pages=1).pulled == 3
        fake.down = 503
        stopped = pull(get_session(), connection, "products", page=3)
        assert (stopped.pulled, stopped.failed) == (0, 1)
        fake.down = None
    assert sync(erp_app, name, "--object", "products") == \
        (0, {"pushed": 0, "pulled": 4, "failed": 0, "dead": 0})
    assert listener.taken == [("products", product) for product in products]
    assert sync(erp_app, name, "--object", "products")[1]["pulled"] == 0
    fake.store.clock = "2026-06-01 09:00:00"
    fake.store.records["product.product"][products[2]].update(
        list_price=88, write_date=fake.store.clock)
    assert sync(erp_app, name, "--object", "products")[1]["pulled"] == 1
    assert sync(erp_app, name, "--object", "products", "--full")[1]["pulled"] == 7
    status = json.loads(invoke_cli(erp_app, "erp", "status", "--json").output)
    [mine] = [row for row in status["connections"] if row["name"] == name]
    assert mine["pulls"]["products"]["cursor"] == ["2026-06-01 09:00:00", products[2]]


def test_invoices_are_pulled_with_their_payment_state_and_pulls_never_overlap(
        erp_app, odoo, listener) -> None:
    fake, name = odoo
    partner = fake.store.add("res.partner", {"name": "华宇科技"})
    invoice = fake.store.add("account.move", {"partner_id": partner, "amount_total": 100})
    assert sync(erp_app, name, "--object", "invoices")[1]["pulled"] == 1
    assert listener.taken == [("invoices", invoice)]
    with erp_app.app_context():
        connection = find_connection(get_session(), name)
        with guard(get_session(), connection, "invoices"):  # the beat is pulling
            fake.store.add("account.move", {"partner_id": partner})
            busy = invoke_cli(erp_app, "erp", "sync", "--connection", name, "--object",
                              "invoices")
            assert busy.exit_code == 1 and "being synced" in busy.output
    assert sync(erp_app, name, "--object", "invoices")[1]["pulled"] == 1
    assert len(listener.taken) == 2


def test_the_beat_pulls_every_object_of_every_active_connection(erp_app, odoo, listener) -> None:
    from plugins.erp_bridge.sync.pull import pull_task

    fake, _name = odoo
    schedule = erp_app.extensions["celery"].conf.beat_schedule
    assert schedule["erp_bridge.pull"]["schedule"].total_seconds() == 300
    product = fake.store.add("product.product", {"name": "墨盒"})
    invoice = fake.store.add("account.move", {"partner_id": 1})
    with erp_app.app_context():
        assert pull_task().startswith("ERP pull:")
    assert {("products", product), ("invoices", invoice)} <= set(listener.taken)
