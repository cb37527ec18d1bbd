"""Print pages of quotes and orders: what a company sends — its letterhead from the sales
settings, the customer, the lines, the totals and the total in capital numerals — and an
A4 print stylesheet; another department's documents stay 404."""

from __future__ import annotations

import re

import pytest

from crm_core.testing import client_as

AWKWARD = {"quantity": "3", "unit_price": "19.99", "discount_percent": "7.5",
           "tax_rate": "13"}


@pytest.fixture(scope="module")
def documents(sales_app, make_sales_records):
    """A West rep's quote and order for the awkward line, and the letterhead set."""
    from crm_core.toolkit import set_setting

    rep = client_as(sales_app, "sales", department="打印西区", api=True)
    ids = make_sales_records(sales_app, rep.user, name="上海打印客户有限公司", sku="PRINT-1",
                             phone="+862134949468")
    with sales_app.test_request_context():
        session = sales_app.extensions["crm_db"].new_session()
        set_setting(session, "sales.company_name", "杭州云帆科技有限公司")
        set_setting(session, "sales.tax_number", "91330100MA2XXXXX1Q")
        set_setting(session, "sales.footer_note", "本报价单自签发之日起有效。")
        session.commit()
        session.close()
    body = {"customer_id": ids["customer_id"],
            "lines": [{"product_id": ids["product_id"], **AWKWARD}]}
    quote = rep.post("/api/v1/sales/quotes", json=body).get_json()
    order = rep.post("/api/v1/sales/orders", json=body).get_json()
    yield rep, quote, order
    with sales_app.test_request_context():
        session = sales_app.extensions["crm_db"].new_session()
        for key in ("company_name", "tax_number", "footer_note"):
            set_setting(session, f"sales.{key}", None)
        session.commit()
        session.close()


def _pages(sales_app, api_client):
    from crm_core.testing_clients import isolated_client, sign_in

    return sign_in(isolated_client(sales_app), api_client.user)


def test_quote_print_page_has_letterhead_customer_totals_and_capital_amount(sales_app,
                                                                            documents):
    rep, quote, _order = documents
    page = _pages(sales_app, rep).get(f"/sales/quotes/{quote['id']}/print")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("杭州云帆科技有限公司", "91330100MA2XXXXX1Q", "本报价单自签发之日起有效。",
                 "上海打印客户有限公司", "上海市浦东新区世纪大道100号", quote["number"],
                 quote["valid_until"], "55.47", "7.21", "62.68", "陆拾贰元陆角捌分",
                 "19.99", "7.5%", "13%", "个", "021 3494 9468"):
        assert text in html, text
    assert "+8621" not in html  # the customer's phone as Chinese readers write it
    assert "print.css" in html and "print.js" in html
    assert not re.search(r"<script>(?!</script>)", html)  # no inline script (CSP)


def test_order_print_page(sales_app, documents):
    rep, _quote, order = documents
    pages = _pages(sales_app, rep)
    detail = pages.get(f"/sales/orders/{order['id']}").get_data(as_text=True)
    print_link = f'href="/sales/orders/{order["id"]}/print"'
    assert print_link in detail  # the order's page offers printing
    html = pages.get(f"/sales/orders/{order['id']}/print").get_data(as_text=True)
    assert order["number"] in html and "陆拾贰元陆角捌分" in html
    assert "杭州云帆科技有限公司" in html


def test_print_stylesheet_is_a4_without_navigation(sales_app, documents):
    rep, _quote, _order = documents
    css = _pages(sales_app, rep).get("/sales/print-static/print.css").get_data(as_text=True)
    assert "@page { size: A4; margin: 15mm; }" in css
    printed = css[css.index("@media print"):]
    assert ".crm-sidebar" in printed and ".crm-print-toolbar" in printed
    assert "break-inside: avoid" in printed


def test_another_department_cannot_print(sales_app, documents):
    _rep, quote, order = documents
    east = client_as(sales_app, "sales", department="打印东区")
    assert east.get(f"/sales/quotes/{quote['id']}/print").status_code == 404
    assert east.get(f"/sales/orders/{order['id']}/print").status_code == 404


def _reveals(sales_app, customer_number: str) -> list:
    from sqlalchemy import select

    from crm_core.audit.models import AuditEntry

    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        try:
            return [(entry.username, entry.model) for entry in session.scalars(
                select(AuditEntry).where(AuditEntry.action == "reveal"))
                if customer_number in (entry.message or "") + str(entry.changes or "")]
        finally:
            session.close()


def test_a_reps_print_shows_the_customer_in_clear_and_is_logged_as_a_reveal(sales_app,
                                                                           documents):
    rep, quote, _order = documents
    before = len(_reveals(sales_app, quote["number"]))
    html = _pages(sales_app, rep).get(f"/sales/quotes/{quote['id']}/print") \
        .get_data(as_text=True)
    assert "021 3494 9468" in html and "世纪大道100号" in html
    logged = _reveals(sales_app, quote["number"])
    assert len(logged) == before + 1
    assert logged[-1] == (rep.user.username, "customers_customer")


def test_a_user_who_may_not_reveal_prints_the_customer_masked(sales_app, documents):
    _rep, quote, _order = documents
    viewer = client_as(sales_app, "viewer", department="打印西区")
    html = viewer.get(f"/sales/quotes/{quote['id']}/print").get_data(as_text=True)
    assert "上海打印客户有限公司" in html and quote["number"] in html
    assert "3494 9468" not in html and "34949468" not in html
    assert "世纪大道100号" not in html
    manager = client_as(sales_app, "manager", department="打印西区")
    before = len(_reveals(sales_app, quote["number"]))
    html = manager.get(f"/sales/quotes/{quote['id']}/print").get_data(as_text=True)
    assert "021 3494 9468" in html  # a manager sees sensitive values: no reveal to log
    assert len(_reveals(sales_app, quote["number"])) == before
