"""Order pages: a new order from a customer's page with the line editor, a refused line
marked in its cell, the detail with lines, totals and 大写, state buttons with their
confirmation, and another department's order 404 on every page."""

from __future__ import annotations

import re

import pytest

from crm_core.testing import client_as


def csrf(html):
    """The CSRF token of a page's form."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def world(sales_app):
    from plugins.customers.services import create_customer
    from plugins.sales.models import Product

    west = client_as(sales_app, "sales", department="S2 Pages West")
    east = client_as(sales_app, "sales", department="S2 Pages East")
    east_manager = client_as(sales_app, "manager", department="S2 Pages East")
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        customer = create_customer(session, name="页面客户", owner_id=west.user.id)
        product = Product(sku="S2-PG-1", name="投影仪", unit="台", list_price=1999,
                          tax_rate=1300)
        session.add(product)
        session.commit()
        ids = {"customer": customer.id, "product": product.id}
        session.close()
    return {**ids, "west": west, "east": east, "east_manager": east_manager}


def _create(world, **line):
    west = world["west"]
    page = west.get(f"/sales/orders/new?customer_id={world['customer']}")
    form = {"csrf_token": csrf(page.get_data(as_text=True)),
            "customer_id": str(world["customer"]), "notes": "演示",
            "lines-0-product_id": str(world["product"]), "lines-0-quantity": "3",
            "lines-0-unit_price": "19.99", "lines-0-discount_percent": "7.5",
            "lines-0-tax_rate": "13", "lines-1-product_id": "", "lines-1-quantity": ""}
    form.update({f"lines-0-{name}": value for name, value in line.items()})
    return west.post("/sales/orders/new", data=form)


def test_a_new_order_from_the_customer_shows_its_totals_and_words(world):
    page = world["west"].get(f"/sales/orders/new?customer_id={world['customer']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'value="{world["customer"]}" selected' in html
    assert "S2-PG-1" in html and "lines.js" in html and "<script>" not in html
    created = _create(world)
    assert created.status_code == 302
    detail = world["west"].get(created.headers["Location"]).get_data(as_text=True)
    for text in ("55.47", "7.21", "62.68", "陆拾贰元陆角捌分", "页面客户", "投影仪"):
        assert text in detail
    assert 'data-confirm="Confirm order SO' in detail


def test_the_customer_is_found_by_name(world):
    html = world["west"].get("/sales/orders/new?customer_q=页面").get_data(as_text=True)
    assert f'<option value="{world["customer"]}">页面客户</option>' in html


def test_a_refused_line_is_marked_in_its_cell(world):
    refused = _create(world, quantity="-3")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert re.search(r'name="lines-0-quantity" value="-3"', html)
    assert "Enter a quantity more than zero" in html


def test_the_state_buttons_move_the_order_and_refuse_a_second_confirm(world):
    west = world["west"]
    url = _create(world).headers["Location"]
    html = west.get(url).get_data(as_text=True)
    token = csrf(html)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    confirmed = west.post(f"{url}/confirm", data={"csrf_token": token, "version": version})
    assert "is now confirmed" in west.get(confirmed.headers["Location"]).get_data(as_text=True)
    again = west.post(f"{url}/confirm", data={"csrf_token": token, "version": version})
    shown = west.get(again.headers["Location"]).get_data(as_text=True)
    assert "changed this order meanwhile" in shown
    assert f"{url}/edit" not in shown  # a confirmed order offers no edit
    assert west.get(f"{url}/edit").status_code == 302


def test_a_draft_is_edited_with_its_lines(world):
    west = world["west"]
    url = _create(world).headers["Location"]
    page = west.get(f"{url}/edit")
    html = page.get_data(as_text=True)
    assert 'name="lines-0-quantity" value="3"' in html
    form = {"csrf_token": csrf(html), "notes": "改为六",
            "version": re.search(r'name="version"[^>]*value="(\d+)"', html).group(1),
            "lines-0-product_id": str(world["product"]), "lines-0-quantity": "6",
            "lines-0-unit_price": "19.99", "lines-0-discount_percent": "7.5",
            "lines-0-tax_rate": "13"}
    saved = west.post(f"{url}/edit", data=form)
    assert saved.status_code == 302
    assert "125.36" in west.get(url).get_data(as_text=True)


def test_another_departments_order_is_404_on_every_page(world):
    url = _create(world).headers["Location"]
    east = world["east"]
    token = csrf(east.get("/sales/orders/new").get_data(as_text=True))
    assert east.get(url).status_code == 404
    assert east.get(f"{url}/edit").status_code == 404
    for action in ("confirm", "deliver", "complete", "cancel", "edit"):
        assert east.post(f"{url}/{action}", data={"csrf_token": token}).status_code == 404
    listed = east.get("/sales/orders").get_data(as_text=True)
    assert url not in listed
    boss = world["east_manager"]  # may delete orders, but not West's
    assert boss.get(url).status_code == 404
    assert boss.get(f"{url}/delete").status_code == 404
    token = csrf(boss.get("/sales/orders/new").get_data(as_text=True))
    assert boss.post(f"{url}/delete", data={"csrf_token": token}).status_code == 404
