"""Customers' public services that sales uses instead of reading customers' tables: the
customer types for a price list's select, and a bulk addition to the customers' total
transaction amounts (demo data and benchmarks add a million orders at once), on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from crm_core.testing import DATABASES


@pytest.fixture(params=DATABASES)
def session(request, crm_make_app):
    from crm_core.db import get_session

    app = crm_make_app(plugins=["customers"], database=request.param)
    with app.test_request_context():
        yield get_session()


def test_customer_types_are_listed_in_the_order_an_administrator_set(session):
    from plugins.customers import services
    from plugins.customers.models import CustomerType

    first = services.create_customer_type(session, "重点客户")
    second = services.create_customer_type(session, "经销商")
    session.get(CustomerType, first.id).position = 2
    session.flush()
    assert services.list_customer_types(session) == [(second.id, "经销商"),
                                                      (first.id, "重点客户")]


def test_totals_are_added_in_bulk_and_unknown_ids_skipped(session):
    from plugins.customers import services
    from plugins.customers.models import Customer

    one = services.create_customer(session, name="批量一号")
    two = services.create_customer(session, name="批量二号")
    services.adjust_total_amount(session, one.id, "100.00")
    session.commit()
    changed = services.add_to_total_amounts(
        session, {one.id: 5_000_050, two.id: 1999, 999_999: 7, one.id + two.id + 1000: 0})
    session.commit()
    assert changed == 2
    session.expire_all()
    assert session.get(Customer, one.id).total_amount == 10_000 + 5_000_050
    assert session.get(Customer, two.id).total_amount == 1999
    assert services.add_to_total_amounts(session, {}) == 0
