"""Settings are read once per unit of work: the print page's seven letterhead keys (most of
them never saved) cost one statement, and a write is seen at once by the same request."""

from __future__ import annotations

import pytest

from crm_core.testing import client_as
from crm_core.testing_clients import isolated_client, sign_in, statements_of


@pytest.fixture(scope="module")
def quote(sales_app, make_sales_records):
    """A rep's quote, with one letterhead key saved (the other six are misses)."""
    from crm_core.toolkit import set_setting

    rep = client_as(sales_app, "sales", department="设置读取", api=True)
    ids = make_sales_records(sales_app, rep.user, name="设置读取客户", sku="SETTINGS-1")
    with sales_app.test_request_context():
        session = sales_app.extensions["crm_db"].new_session()
        set_setting(session, "sales.company_name", "只读一次有限公司")
        session.commit()
        session.close()
    body = {"customer_id": ids["customer_id"],
            "lines": [{"product_id": ids["product_id"], "quantity": "1",
                       "unit_price": "10"}]}
    made = rep.post("/api/v1/sales/quotes", json=body).get_json()
    yield sign_in(isolated_client(sales_app), rep.user), made
    with sales_app.test_request_context():
        session = sales_app.extensions["crm_db"].new_session()
        set_setting(session, "sales.company_name", None)
        session.commit()
        session.close()


def _kind(sql: str) -> str:
    return "settings" if "core_setting" in sql else "other"


def test_the_quote_print_page_reads_the_settings_in_one_statement(sales_app, quote):
    page, made = quote
    statements = statements_of(sales_app, page, f"/sales/quotes/{made['id']}/print", _kind)
    assert len(statements["settings"]) == 1, statements["settings"]
    html = page.get(f"/sales/quotes/{made['id']}/print").get_data(as_text=True)
    assert "只读一次有限公司" in html


def test_a_write_is_read_back_in_the_same_unit_of_work_and_a_miss_is_kept(sales_app):
    from crm_core.toolkit import get_session, get_setting, set_setting

    with sales_app.test_request_context():
        session = get_session()
        assert get_setting("sales.footer_note", "none") == "none"
        set_setting(session, "sales.footer_note", "见到自己的写入")
        assert get_setting("sales.footer_note", "none") == "见到自己的写入"
        session.rollback()
        assert get_setting("sales.footer_note", "none") == "none"


def test_the_price_lists_page_reads_the_customer_types_once_not_per_row(sales_app):
    """The type column is named through customers' public ``list_customer_types``, read
    once for the page however many lists it shows."""
    from plugins.customers.services import create_customer_type
    from plugins.sales.models import PriceList

    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        kinds = [create_customer_type(session, f"类型读取{number}").id for number in (1, 2)]
        session.add_all([PriceList(name=f"类型读取价目{number}", customer_type_id=kind)
                         for number, kind in enumerate(kinds * 2)])
        session.commit()
        session.close()
    admin = client_as(sales_app, "admin", department="设置读取")
    statements = statements_of(
        sales_app, admin, "/sales/price_lists?q=类型读取",
        lambda sql: "types" if "customers_customer_type" in sql else "other")
    assert len(statements["types"]) == 1, statements["types"]
    html = admin.get("/sales/price_lists?q=类型读取").get_data(as_text=True)
    assert "类型读取1" in html and "类型读取2" in html
