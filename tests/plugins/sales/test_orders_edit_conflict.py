"""Two sessions editing one draft order: the second save shows the form again (409) with the
lines and notes it typed and a message to reload, instead of dropping them for a flash on
the order's page."""

from __future__ import annotations

import re

from crm_core.testing import client_as
from crm_core.testing_clients import isolated_client, sign_in


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _form(html: str, product_id: int, quantity: str, notes: str) -> dict[str, str]:
    return {"csrf_token": _csrf(html), "notes": notes,
            "version": re.search(r'name="version"[^>]*value="(\d+)"', html).group(1),
            "lines-0-product_id": str(product_id), "lines-0-quantity": quantity,
            "lines-0-unit_price": "19.99", "lines-0-tax_rate": "13"}


def test_the_second_save_keeps_its_typed_lines_and_says_to_reload(sales_app,
                                                                  make_sales_records):
    first = client_as(sales_app, "sales", department="改单冲突")
    second = sign_in(isolated_client(sales_app), first.user)  # the same rep, another tab
    ids = make_sales_records(sales_app, first.user, name="改单冲突客户", sku="CONFLICT-1")
    page = first.get(f"/sales/orders/new?customer_id={ids['customer_id']}")
    made = first.post("/sales/orders/new", data={
        "csrf_token": _csrf(page.get_data(as_text=True)),
        "customer_id": str(ids["customer_id"]), "notes": "",
        "lines-0-product_id": str(ids["product_id"]), "lines-0-quantity": "1",
        "lines-0-unit_price": "19.99", "lines-0-tax_rate": "13"})
    url = made.headers["Location"] + "/edit"
    mine = _form(first.get(url).get_data(as_text=True), ids["product_id"], "7", "我的备注")
    theirs = _form(second.get(url).get_data(as_text=True), ids["product_id"], "2", "先保存")
    assert second.post(url, data=theirs).status_code == 302

    answer = first.post(url, data=mine)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "Someone else changed this order meanwhile" in html
    assert 'name="lines-0-quantity" value="7"' in html and "我的备注" in html
    detail = first.get(made.headers["Location"]).get_data(as_text=True)
    assert "先保存" in detail and "我的备注" not in detail
