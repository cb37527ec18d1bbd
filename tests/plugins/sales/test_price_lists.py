"""Price lists: the most specific active list wins (type and level > type > level > every
customer), the highest quantity break at or below the quantity applies, inactive and expired
lists are ignored, a list without the product gives way; an order line without a unit price
takes that price; prices are set on the list's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from crm_core.auth.models import User
from crm_core.testing import client_as, create_test_user
from plugins.sales.catalog.pricing import unit_price_for
from plugins.sales.models import PriceList, PriceListItem, Product
from plugins.sales.orders import services


@pytest.fixture(scope="module")
def world(sales_app):
    from plugins.customers.services import create_customer, create_customer_type

    rep = create_test_user(sales_app, "s2-prices-rep", roles=("sales",),
                           department="S2 Prices")
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        dealer = create_customer_type(session, "S2经销商").id
        customers = {key: create_customer(session, name=f"价目客户 {key}", owner_id=rep.id,
                                          customer_type_id=kind, level=level).id
                     for key, kind, level in [("none", None, ""), ("a", None, "A"),
                                              ("dealer", dealer, "B"),
                                              ("dealer_a", dealer, "A")]}
        chair, desk, lamp = (Product(sku=f"S2-PL-{name}", name=name, list_price=1999,
                                     tax_rate=1300) for name in ("椅", "桌", "灯"))
        session.add_all([chair, desk, lamp])
        session.flush()
        yesterday = dt.date.today() - dt.timedelta(days=1)
        lists = [("S2 所有客户", None, "", True, None, [(chair, 0, 1900), (chair, 10, 1800),
                                                      (desk, 0, 2900)]),
                 ("S2 A级", None, "A", True, None, [(chair, 0, 1700)]),
                 ("S2 经销商", dealer, "", True, None, [(chair, 0, 1600)]),
                 ("S2 经销商A级", dealer, "A", True, None, [(chair, 0, 1500)]),
                 ("S2 停用", dealer, "A", False, None, [(chair, 0, 100), (desk, 0, 100)]),
                 ("S2 过期", dealer, "A", True, yesterday, [(chair, 0, 50), (desk, 0, 50)])]
        for name, kind, level, active, valid_to, prices in lists:
            price_list = PriceList(name=name, customer_type_id=kind, customer_level=level,
                                   active=active, valid_to=valid_to)
            session.add(price_list)
            session.flush()
            session.add_all([PriceListItem(price_list_id=price_list.id, product_id=product.id,
                                           min_quantity=quantity * 1000, unit_price=price)
                             for product, quantity, price in prices])
        session.commit()
        found = {"rep": rep.id, "customers": customers, "chair": chair.id, "desk": desk.id,
                 "lamp": lamp.id, "list": session.query(PriceList.id)
                 .filter_by(name="S2 所有客户").scalar()}
        session.close()
    return found


@pytest.fixture
def session(sales_app):
    with sales_app.test_request_context():
        session = sales_app.extensions["crm_db"].new_session()
        yield session
        session.rollback()
        session.close()


def _price(session, world, product, customer, units=1):
    user = session.get(User, world["rep"])
    return unit_price_for(session, session.get(Product, world[product]),
                          world["customers"][customer], units * 1000, user=user)


@pytest.mark.parametrize(("customer", "units", "price"), [
    ("none", 1, 1900), ("none", 9, 1900), ("none", 10, 1800), ("none", 500, 1800),
    ("a", 1, 1700), ("dealer", 1, 1600), ("dealer_a", 1, 1500), ("dealer_a", 10, 1500)])
def test_the_most_specific_list_and_highest_break_win(session, world, customer, units, price):
    assert _price(session, world, "chair", customer, units) == price


def test_a_list_without_the_product_gives_way_and_none_means_the_list_price(session, world):
    # the dealer lists price only chairs: a dealer's desk comes from the list for everyone
    assert _price(session, world, "desk", "dealer_a") == 2900
    assert _price(session, world, "lamp", "dealer_a") == 1999


def test_an_order_line_without_a_unit_price_takes_the_customers_price(session, world):
    user = session.get(User, world["rep"])
    order = services.create_order(session, world["customers"]["dealer_a"],
                                  [{"product_id": world["chair"], "quantity": "2"}], user)
    [line] = services.order_lines(session, [order.id])[order.id]
    assert (line.unit_price, line.tax_rate, line.subtotal, line.tax) == (1500, 1300, 3000, 390)


def test_prices_are_set_and_removed_on_the_lists_page(sales_app, world):
    client = client_as(sales_app, "manager", department="S2 Prices")
    page = client.get(f"/sales/price_lists/{world['list']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "S2-PL-椅" in html and "18.00" in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    url = f"/sales/catalog/price_lists/{world['list']}/prices"
    saved = client.post(url, data={"csrf_token": token, "sku": "S2-PL-灯",
                                   "min_quantity": "5", "unit_price": "12.34"})
    assert saved.status_code == 302
    html = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "12.34" in html and "Price saved." in html
    unknown = client.post(url, data={"csrf_token": token, "sku": "NO-SUCH",
                                     "unit_price": "1"})
    assert "NO-SUCH" in client.get(unknown.headers["Location"]).get_data(as_text=True)
    item = re.search(r'name="remove" value="(\d+)"', html).group(1)
    removed = client.post(url, data={"csrf_token": token, "remove": item})
    assert "Price removed." in client.get(removed.headers["Location"]).get_data(as_text=True)


def test_a_sales_rep_may_see_but_not_change_prices(sales_app, world):
    client = client_as(sales_app, "sales", department="S2 Prices")
    html = client.get(f"/sales/price_lists/{world['list']}").get_data(as_text=True)
    assert "S2-PL-椅" in html and 'name="remove"' not in html
    url = f"/sales/catalog/price_lists/{world['list']}/prices"
    assert client.post(url, data={"sku": "S2-PL-灯", "unit_price": "1"}).status_code in \
        (400, 403)
