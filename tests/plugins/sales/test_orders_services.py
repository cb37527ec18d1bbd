"""Order services: numbering, the state rules, events inside the unit of work, lines kept as
a quote worked them out, and optimistic locking (two confirms at once: one wins)."""

from __future__ import annotations

import pytest

from crm_core.auth.models import User
from crm_core.testing import create_test_user
from plugins.sales.lines.parsing import LinesRefused, LineValues
from plugins.sales.models import Order, OrderLine
from plugins.sales.orders import services


@pytest.fixture(scope="module")
def ids(sales_app):
    from plugins.customers.services import create_customer
    from plugins.sales.models import Product

    rep = create_test_user(sales_app, "s2-svc-rep", roles=("sales",), department="S2 Svc")
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        customer = create_customer(session, name="服务测试客户", owner_id=rep.id)
        product = Product(sku="S2-SVC-1", name="打印纸", unit="箱", list_price=1999,
                          tax_rate=1300)
        session.add(product)
        session.commit()
        found = {"rep": rep.id, "customer": customer.id, "product": product.id}
        session.close()
    return found


@pytest.fixture
def session(sales_app):
    with sales_app.test_request_context():
        session = sales_app.extensions["crm_db"].new_session()
        yield session
        session.rollback()
        session.close()


def _line(ids, **changes):
    return {"product_id": ids["product"], "quantity": "3", "unit_price": "19.99",
            "discount_percent": "7.5", "tax_rate": "13", **changes}


def _new(session, ids):
    user = session.get(User, ids["rep"])
    order = services.create_order(session, ids["customer"], [_line(ids)], user,
                                  notes="两把")
    session.commit()
    return order, user


def test_an_order_is_numbered_owned_and_totalled(session, ids):
    order, user = _new(session, ids)
    assert order.number.startswith("SO") and order.status == "draft"
    assert (order.owner_id, order.department_id) == (user.id, user.department_id)
    assert (order.untaxed_amount, order.tax_amount, order.total_amount) == (5547, 721, 6268)
    lines = services.order_lines(session, [order.id])[order.id]
    assert [(line.description, line.subtotal) for line in lines] == [("打印纸", 5547)]


def test_states_move_only_along_the_rules_and_fire_events(session, ids, monkeypatch):
    fired = []
    monkeypatch.setattr(services, "emit", lambda event, _session, **kwargs:
                        fired.append((event, kwargs)))
    order, user = _new(session, ids)
    with pytest.raises(services.OrderStateError):
        services.deliver_order(session, order, user)
    services.confirm_order(session, order, user)
    assert fired == [("order_confirmed", {"order_id": order.id, "customer_id": ids["customer"],
                                          "total_amount": 6268})]
    with pytest.raises(services.OrderStateError):
        services.update_order(session, order, user, notes="改")
    services.cancel_order(session, order, user)
    assert fired[-1] == ("order_cancelled", {"order_id": order.id,
                                             "customer_id": ids["customer"],
                                             "total_amount": 6268, "was_confirmed": True})
    with pytest.raises(services.OrderStateError):
        services.complete_order(session, order, user)


def test_two_confirms_at_once_cannot_both_succeed(sales_app, ids, monkeypatch):
    monkeypatch.setattr(services, "emit", lambda *args, **kwargs: None)
    with sales_app.test_request_context():
        first = sales_app.extensions["crm_db"].new_session()
        order, user = _new(first, ids)
        order_id = order.id
        first.close()
        first = sales_app.extensions["crm_db"].new_session()
        second = sales_app.extensions["crm_db"].new_session()
        mine, theirs = first.get(Order, order_id), second.get(Order, order_id)
        services.confirm_order(first, mine, first.get(User, ids["rep"]))
        first.commit()
        with pytest.raises(services.OrderConflict) as refused:
            services.confirm_order(second, theirs, second.get(User, ids["rep"]))
        assert refused.value.status == 409
        second.rollback()
        assert second.get(Order, order_id).status == "confirmed"
        first.close()
        second.close()


def test_lines_worked_out_elsewhere_are_kept_as_they_are(session, ids):
    user = session.get(User, ids["rep"])
    quoted = LineValues(position=7, product_id=ids["product"], description="报价行",
                        quantity=2000, unit_price=1000, discount=0, tax_rate=600,
                        price_includes_tax=False, subtotal=2000, tax=120, total=2120)
    order = services.create_order(session, ids["customer"], [quoted], user, quote_id=None)
    [line] = session.query(OrderLine).filter_by(order_id=order.id).all()
    assert (line.position, line.description, line.total) == (0, "报价行", 2120)
    assert order.total_amount == 2120


def test_an_update_replaces_the_lines_and_refuses_a_stale_version(session, ids):
    order, user = _new(session, ids)
    version = order.version
    services.update_order(session, order, user, lines=[_line(ids, quantity="6")],
                          expected_version=version)
    session.commit()
    assert order.total_amount == 12536 and order.version == version + 1
    with pytest.raises(services.OrderConflict):
        services.update_order(session, order, user, notes="旧", expected_version=version)


def test_bad_lines_name_each_place(session, ids):
    user = session.get(User, ids["rep"])
    with pytest.raises(LinesRefused) as refused:
        services.create_order(session, ids["customer"],
                              [_line(ids), _line(ids, quantity="-2", discount_percent="101"),
                               {"description": "", "quantity": "1"}], user)
    assert set(refused.value.errors) == {"lines[1].quantity", "lines[1].discount_percent",
                                         "lines[2].product_id", "lines[2].unit_price"}


def test_a_customer_out_of_reach_is_refused_under_its_field(session, ids):
    user = session.get(User, ids["rep"])
    with pytest.raises(services.OrderRefused) as refused:
        services.create_order(session, 2_000_000, [_line(ids)], user)
    assert refused.value.field == "customer_id"
