"""The receivables page: what is owed on the contracts a user may see, in the ageing buckets
0–30 / 31–60 / 61–90 / >90 days past due (and not yet due), with totals and a chart; and
the daily contract work: renewal reminders (once) and expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from contracts_testing import TODAY, contract_in_db, read, team
from sqlalchemy import select

from crm_core.db import get_session
from plugins.sales.contracts import lifecycle
from plugins.sales.contracts.plan import add_instalment
from plugins.sales.models import Contract
from plugins.sales.receivables.ageing import ageing

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def world(sales_app):
    return team(sales_app)


def _instalments(app, contract_id, days_and_fen):
    with app.test_request_context():
        session = get_session()
        contract = session.get(Contract, contract_id)
        for days_past_due, fen in days_and_fen:
            add_instalment(session, contract, TODAY - dt.timedelta(days=days_past_due), fen)
        session.commit()


def test_outstanding_amounts_fall_in_their_ageing_buckets(sales_app, world):
    contract_id = contract_in_db(sales_app, world, amount=10_000_000)
    # days past due → bucket: -5 not due, 0 not due (due today), 1 and 30 → 0–30,
    # 31 and 60 → 31–60, 61 and 90 → 61–90, 91 → over 90
    _instalments(sales_app, contract_id, [(-5, 100), (0, 200), (1, 300), (30, 400),
                                          (31, 500), (60, 600), (61, 700), (90, 800),
                                          (91, 900)])
    with sales_app.test_request_context():
        result = ageing(get_session(), world["manager"].user, today=TODAY)
        row = next(row for row in result.rows if row.contract_id == contract_id)
        assert row.buckets == {"current": 300, "d30": 700, "d60": 1100, "d90": 1500,
                               "over90": 900}
        assert row.total == 4500 and row.overdue == 4200
        # another department's manager sees none of it
        outsider = team(sales_app)["manager"].user
        assert all(item.contract_id != contract_id
                   for item in ageing(get_session(), outsider, today=TODAY).rows)

    page = world["manager"].get("/sales/receivables", headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'href="/sales/contracts/{contract_id}"' in text and "Over 90 days" in text
    chart = world["manager"].get("/sales/receivables/ageing.json").get_json()
    assert chart["kind"] == "bar" and len(chart["data"]["labels"]) == 5
    assert chart["data"]["values"][4] >= 9.0  # yuan


def test_the_renewal_reminder_goes_to_the_owner_once(sales_app, world):
    ending = contract_in_db(sales_app, world, amount=100_000,
                            end_date=TODAY + dt.timedelta(days=10))
    later = contract_in_db(sales_app, world, amount=100_000,
                           end_date=TODAY + dt.timedelta(days=90))
    with sales_app.app_context():
        session = get_session()
        assert lifecycle.send_renewal_reminders(session, TODAY) >= 1
        session.commit()
        assert lifecycle.send_renewal_reminders(session, TODAY) == 0  # once
        session.commit()
    assert read(sales_app, Contract, ending).renewal_notified_at is not None
    assert read(sales_app, Contract, later).renewal_notified_at is None
    inbox = world["rep_api"].get("/api/v1/notifications").get_json()
    titles = [item["title"] for item in inbox["items"]
              if item.get("kind") == lifecycle.RENEWAL_KIND]
    assert len(titles) == 1 and read(sales_app, Contract, ending).number in titles[0]


def test_ended_contracts_expire(sales_app, world):
    ended = contract_in_db(sales_app, world, amount=100_000,
                           end_date=TODAY - dt.timedelta(days=1))
    running = contract_in_db(sales_app, world, amount=100_000)
    with sales_app.app_context():
        session = get_session()
        assert lifecycle.expire_ended_contracts(session, TODAY) >= 1
        session.commit()
        statuses = dict(session.execute(select(Contract.id, Contract.status)
                                        .where(Contract.id.in_([ended, running]))).all())
    assert statuses == {ended: "expired", running: "active"}
