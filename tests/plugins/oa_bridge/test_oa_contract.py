"""The issue's end-to-end case: a big contract submitted in the sales plugin is approved in
(the fake) DingTalk, and comes back active."""

from __future__ import annotations

import datetime as dt

import pytest
from oa_testing import AES_KEY, APP_KEY, APP_SECRET, CORP, TOKEN, World, connect, drain

from plugins.oa_bridge.fake.dingtalk import FakeDingTalk

pytestmark = pytest.mark.crm_plugins("customers", "sales", "oa_bridge")
TODAY = dt.date.today()


def test_a_contract_approved_in_dingtalk_becomes_active(crm_app, tmp_path):
    from crm_core.testing import client_as
    from plugins.customers.services import create_customer
    from plugins.sales.models import Order

    fake = FakeDingTalk(APP_KEY, APP_SECRET, TOKEN, AES_KEY, corp_id=CORP).start()
    try:
        world = World(crm_app, fake)
        rep = client_as(crm_app, "sales", department="华东", username="oa-rep", api=True)
        client_as(crm_app, "manager", department="华东", username="oa-manager")
        connect(world, tmp_path)
        world.cli("oa", "link-user", "--connection", "dt", "--username", "oa-rep",
                  "--oa-user-id", "ding-rep-1")
        world.cli("oa", "map-approval", "--connection", "dt", "--definition", "大额合同审批",
                  "--process-code", "PROC-HT", "--fields", '{"合同": "title", "金额": "amount"}')
        with crm_app.app_context():
            session = crm_app.extensions["crm_db"].new_session()
            customer = create_customer(session, name="华宇科技", owner_id=rep.user.id)
            order = Order(number="SO-OA-1", customer_id=customer.id, status="confirmed",
                          order_date=TODAY, owner_id=rep.user.id,
                          department_id=rep.user.department_id, untaxed_amount=15_000_000,
                          tax_amount=0, total_amount=15_000_000)
            session.add(order)
            session.commit()
            order_id = order.id
            session.close()
        created = rep.post("/api/v1/sales/contracts", json={
            "order_id": order_id, "amount": "150000.00", "start_date": TODAY.isoformat(),
            "end_date": (TODAY + dt.timedelta(days=365)).isoformat()})
        assert created.status_code == 201, created.get_json()
        contract_id = created.get_json()["id"]
        submitted = rep.post(f"/api/v1/sales/contracts/{contract_id}/submit")
        assert submitted.get_json()["status"] == "pending_approval"
        assert drain(world).delivered == 1
        (instance_id, sent), = fake.instances.items()
        assert sent["originatorUserId"] == "ding-rep-1" and sent["processCode"] == "PROC-HT"
        assert {"name": "金额", "value": "150000.00"} in sent["formComponentValues"]
        decided = fake.decide(instance_id, agree=True, staff_id="ding-boss",
                              send=world.post_callback)
        assert decided.status_code == 200
        contract = rep.get(f"/api/v1/sales/contracts/{contract_id}").get_json()
        assert contract["status"] == "active"
    finally:
        fake.stop()
