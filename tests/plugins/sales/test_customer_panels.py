"""The customer 360° page's sales panels and timeline entries: the reader's records only,
with links and "new" buttons when permitted."""

from __future__ import annotations

import datetime as dt

import pytest
from sales_s5_world import add_opportunity, client_of, make_world, sell


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The S5 world with its sales, plus an East deal on the West customer, a stage change
    and a payment."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config
    from plugins.sales.models import Contract, Payment, StageHistory

    instance = tmp_path_factory.mktemp("sales-panels")
    app = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}",
                                 ["customers", "sales"]))
    with app.app_context():
        upgrade(app)
    world = make_world(app)
    world.made = sell(world)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        intruder = add_opportunity(session, world, "rep_east", amount=123_400)
        intruder.customer_id, intruder.name = world.customers["West"], "东区的秘密商机"
        mine = add_opportunity(session, world, "rep_west", amount=500_000)
        mine.name = "西区扩容项目"
        now = dt.datetime.now(dt.UTC)
        session.add_all([
            StageHistory(opportunity_id=mine.id, stage_id=world.stages["open1"],
                         entered_at=now - dt.timedelta(days=2), left_at=now),
            StageHistory(opportunity_id=mine.id, stage_id=world.stages["open2"],
                         from_stage_id=world.stages["open1"], entered_at=now)])
        contract = session.query(Contract).filter_by(number="HT-rep_west").one()
        rep = world.users["rep_west"]
        session.add(Payment(contract_id=contract.id, customer_id=contract.customer_id,
                            amount=1_234_500, received_on=dt.date.today(), owner_id=rep.id,
                            department_id=rep.department_id))
        session.commit()
        session.close()
    yield world
    app.extensions["crm_db"].engine.dispose()


def test_the_customer_page_shows_the_readers_sales_records(world):
    rep = client_of(world, "rep_west")
    page = rep.get(f"/customers/{world.customers['West']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("西区扩容项目", world.made["rep_west"]["order"],
                 world.made["rep_west"]["contract"], "¥60,001.00", "Overdue"):
        assert text in html, text
    assert "东区的秘密商机" not in html and "1,234.00" not in html
    customer = world.customers["West"]
    assert f"/sales/opportunities/new?customer_id={customer}" in html
    assert f"/sales/orders/new?customer_id={customer}" in html


def test_panels_follow_the_readers_permissions(world):
    from crm_core.testing_clients import client_as

    service = client_as(world.app, "service", department="West")
    html = service.get(f"/customers/{world.customers['West']}").get_data(as_text=True)
    assert world.made["rep_west"]["order"] not in html
    assert "sales-receivables" not in html


def test_the_timeline_has_stage_changes_orders_and_payments(world):
    from crm_core.auth.models import User
    from crm_core.toolkit import get_session
    from plugins.sales.customer.timeline import customer_timeline

    with world.app.test_request_context():
        rep = get_session().get(User, world.users["rep_west"].id)
        entries = customer_timeline(world.customers["West"], rep, None, 20)
        titles = [entry["title"] for entry in entries]
    assert any("西区扩容项目" in title and "商务谈判" in title for title in titles)
    assert any(world.made["rep_west"]["order"] in title for title in titles)
    assert any("¥12,345.00" in title for title in titles)
    assert not any("东区的秘密商机" in title for title in titles)
    moments = [entry["at"] for entry in entries]
    assert moments == sorted(moments, reverse=True)
    with world.app.test_request_context():
        rep = get_session().get(User, world.users["rep_west"].id)
        older = customer_timeline(world.customers["West"], rep, moments[0], 1)
    assert len(older) == 1 and older[0]["at"] < moments[0]
