"""Creating an order of twenty lines: the order is written once with its totals (no second
UPDATE, so its version starts at 1 and an edit with it goes through), its lines' products
read in one statement, the amounts the same as the lines'."""

from __future__ import annotations

from typing import Any

from opportunity_helpers import client, unique


def _statements(app: Any, call: Any) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(" ".join(sql.split()))

    engine = app.extensions["crm_db"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_an_order_of_twenty_lines_is_written_once_with_its_totals(sales_app,
                                                                  make_sales_records):
    rep = client(sales_app, department="华东", api=True)
    made = make_sales_records(sales_app, rep.user, name=unique("订单客户"), sku=unique("SKU"))
    body = {"customer_id": made["customer_id"], "lines": [
        {"product_id": made["product_id"], "quantity": str(1 + index % 5),
         "unit_price": "19.99", "discount_percent": "7.5", "tax_rate": "13"}
        for index in range(20)]}
    answers: list[Any] = []
    sent = _statements(sales_app, lambda: answers.append(
        rep.post("/api/v1/sales/orders", json=body)))
    created = answers[0]
    assert created.status_code == 201, created.get_data(as_text=True)
    order = created.json
    assert order["version"] == 1 and len(order["lines"]) == 20
    lines_total = sum(round(float(line["total"]) * 100) for line in order["lines"])
    assert round(float(order["total_amount"]) * 100) == lines_total
    assert not [sql for sql in sent if sql.startswith("UPDATE sales_order ")]
    assert len([sql for sql in sent if "FROM sales_product" in sql]) == 1
    edited = rep.patch(f"/api/v1/sales/orders/{order['id']}",
                       json={"notes": "加急", "version": order["version"]})
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert edited.json["notes"] == "加急" and edited.json["version"] == 2
