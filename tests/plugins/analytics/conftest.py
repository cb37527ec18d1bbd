"""Shared fixtures of the analytics tests: one migrated app with customers, sales, service
and analytics, and one world of records made through the plugins' services (two
departments, three reps, a manager; confirmed orders on known past days; tickets with known
response times)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from crm_core.testing_clients import client_as

#: (rep, confirmed at (UTC, midday: the same day in Shanghai), products and quantities)
ORDERS = (
    ("a1", dt.datetime(2026, 1, 15, 4), (("chair", 3), ("desk", 1))),
    ("a1", dt.datetime(2026, 1, 20, 4), (("chair", 1),)),
    ("a1", dt.datetime(2026, 2, 3, 4), (("desk", 2),)),
    ("a2", dt.datetime(2026, 2, 14, 4), (("chair", 7),)),
    ("b1", dt.datetime(2026, 1, 9, 4), (("desk", 5),)),
    ("b1", dt.datetime(2026, 3, 1, 4), (("chair", 2), ("desk", 1))),
)
#: (opened at (UTC), first response after minutes or None, priority)
TICKETS = ((dt.datetime(2026, 1, 5, 2), 90, "high"), (dt.datetime(2026, 1, 6, 2), 45, "normal"),
           (dt.datetime(2026, 2, 2, 2), 200, "high"), (dt.datetime(2026, 2, 9, 2), None, "low"))


@pytest.fixture(scope="session")
def analytics_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app, on a fresh migrated SQLite database, shared by the analytics tests."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    instance = tmp_path_factory.mktemp("analytics-app")
    # an empty PostgreSQL database of one's own runs the same tests there
    url = os.environ.get("CRM_ANALYTICS_TEST_DATABASE_URL") or \
        f"sqlite:///{instance / 'crm.sqlite'}"
    app = create_app(test_config(instance, url, ["customers", "sales", "service", "analytics"]))
    with app.app_context():
        upgrade(app)
    yield app
    app.extensions["crm_db"].engine.dispose()


@pytest.fixture(scope="session")
def world(analytics_app: Flask) -> dict[str, Any]:
    """Clients (API) of reps a1, a2 (department A), b1 (B), manager of A, an admin; the
    orders of ``ORDERS`` confirmed through sales' services, a draft and a cancelled one, and
    the tickets of ``TICKETS`` opened through service's, assigned to a1."""
    from sqlalchemy import update

    from plugins.customers.services import create_customer
    from plugins.sales.models import Order, Product
    from plugins.sales.services import cancel_order, confirm_order, create_order
    from plugins.service.models import Ticket
    from plugins.service.requests.services import create_request

    app = analytics_app
    people = {"a1": client_as(app, "sales", department="分析 A部", api=True),
              "a2": client_as(app, "sales", department="分析 A部", api=True),
              "b1": client_as(app, "sales", department="分析 B部", api=True),
              "manager": client_as(app, "manager", department="分析 A部", api=True),
              "admin": client_as(app, superuser=True, api=True),
              "agent": client_as(app, "service", department="分析 A部", api=True)}
    users = {key: client.user for key, client in people.items()}
    with app.app_context():
        from crm_core.toolkit import db

        session = db.session  # the session sales' and service's listeners write in too
        products = {"chair": Product(sku="AN-CHAIR", name="人体工学椅", unit="把",
                                     list_price=129900, tax_rate=1300),
                    "desk": Product(sku="AN-DESK", name="升降桌", unit="张",
                                    list_price=333333, tax_rate=1300)}
        session.add_all(products.values())
        session.flush()
        regions = {"a1": ("上海市", "制造业"), "a2": ("浙江省", "零售"), "b1": ("广东省", "制造业")}
        customers = {key: create_customer(session, name=f"分析客户 {key}",
                                          owner_id=users[key].id, province=province,
                                          industry=industry).id
                     for key, (province, industry) in regions.items()}
        order_ids = []
        for rep, confirmed_at, lines in ORDERS:
            order = create_order(session, customers[rep], [
                {"product_id": products[name].id, "quantity": str(quantity),
                 "unit_price": str(products[name].list_price / 100), "tax_rate": "13"}
                for name, quantity in lines], users[rep])
            confirm_order(session, order, users[rep])
            session.flush()
            session.execute(update(Order).where(Order.id == order.id)
                            .values(confirmed_at=confirmed_at))
            order_ids.append(order.id)
        draft = create_order(session, customers["a1"], [
            {"product_id": products["chair"].id, "quantity": "9", "unit_price": "1.00"}],
            users["a1"])
        cancelled = create_order(session, customers["a1"], [
            {"product_id": products["chair"].id, "quantity": "4", "unit_price": "2.00"}],
            users["a1"])
        confirm_order(session, cancelled, users["a1"])
        cancel_order(session, cancelled, users["a1"])
        ticket_ids = []
        for opened, minutes, priority in TICKETS:
            request = create_request(session, {"customer_id": customers["a1"],
                                               "type": "complaint", "subject": "投诉",
                                               "priority": priority}, users["admin"])
            ticket = request.tickets[0]
            responded = opened + dt.timedelta(minutes=minutes) if minutes else None
            session.execute(update(Ticket).where(Ticket.id == ticket.id).values(
                created_at=opened, first_responded_at=responded, assignee_id=users["a1"].id,
                department_id=users["a1"].department_id))
            ticket_ids.append(ticket.id)
        session.commit()
        ids = {"orders": order_ids, "draft": draft.id, "tickets": ticket_ids,
               "products": {key: product.id for key, product in products.items()},
               "customers": customers}
        session.close()
    return {"clients": people, "users": users, **ids}
