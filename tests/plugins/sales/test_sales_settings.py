"""The sales settings page: only those allowed open it; number patterns need {seq}; saved
values are what quotes and orders then use (validity days, numbering, letterhead)."""

from __future__ import annotations

import datetime as dt
import re

from crm_core.testing import client_as

FORM = {"company_name": "杭州云帆科技有限公司", "company_address": "杭州市西湖区文三路1号",
        "company_phone": "0571-88888888", "tax_number": "91330100MA2XXXXX1Q",
        "bank_name": "招商银行杭州分行", "bank_account": "5719 0000 0000 001",
        "footer_note": "", "quote_number_pattern": "BJ{yy}{mm}-{seq:03}",
        "order_number_pattern": "SO{yyyy}{mm}-{seq:04}",
        "contract_number_pattern": "HT{yyyy}-{seq:04}", "quote_validity_days": "15",
        "renewal_days": "45", "contract_approval_note": "超过十万元需经理审批。"}


def _today(app):
    """Today as the quotes count it (the default time zone: the test users have none)."""
    from crm_core.toolkit import to_user_time, utcnow

    with app.app_context():
        return to_user_time(utcnow()).date()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_only_settings_managers_open_the_page(sales_app):
    assert client_as(sales_app, "sales").get("/sales/settings").status_code == 403
    page = client_as(sales_app, "manager").get("/sales/settings")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="QT{yyyy}{mm}-{seq:04}"' in html and 'value="30"' in html


def test_patterns_need_seq_and_days_a_number(sales_app):
    manager = client_as(sales_app, "manager")
    token = _token(manager.get("/sales/settings").get_data(as_text=True))
    refused = manager.post("/sales/settings", data={
        **FORM, "csrf_token": token, "order_number_pattern": "SO{yyyy}",
        "contract_number_pattern": "HT{name}-{seq}", "quote_validity_days": "-1"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert html.count("invalid-feedback") >= 3
    assert "{seq}" in html
    assert manager.post("/sales/settings", data={**FORM}).status_code == 400  # no CSRF


def test_saved_settings_number_and_date_new_quotes(sales_app, make_sales_records):
    from crm_core.toolkit import get_setting

    manager = client_as(sales_app, "manager")
    token = _token(manager.get("/sales/settings").get_data(as_text=True))
    saved = manager.post("/sales/settings", data={**FORM, "csrf_token": token})
    assert saved.status_code == 302
    try:
        with sales_app.test_request_context():
            assert get_setting("sales.company_name") == "杭州云帆科技有限公司"
            assert get_setting("sales.quote_validity_days") == 15
            from plugins.sales.settings import values

            assert values.letterhead().bank_name == "招商银行杭州分行"
            assert values.number_pattern("quote") == "BJ{yy}{mm}-{seq:03}"
            assert values.renewal_days() == 45
        page = manager.get("/sales/settings").get_data(as_text=True)
        assert 'value="BJ{yy}{mm}-{seq:03}"' in page
        rep = client_as(sales_app, "sales", department="设置西区", api=True)
        ids = make_sales_records(sales_app, rep.user, name="设置测试客户", sku="SET-1")
        quote = rep.post("/api/v1/sales/quotes", json={
            "customer_id": ids["customer_id"],
            "lines": [{"product_id": ids["product_id"], "quantity": "1"}]}).get_json()
        assert re.fullmatch(r"BJ\d{4}-\d{3}", quote["number"]), quote
        today = _today(sales_app)
        assert quote["valid_until"] == (today + dt.timedelta(days=15)).isoformat()
        audit = manager.get("/audit").get_data(as_text=True)
        assert "sales.company_name" in audit or "杭州云帆科技有限公司" in audit
    finally:
        with sales_app.test_request_context():
            from crm_core.toolkit import set_setting

            session = sales_app.extensions["crm_db"].new_session()
            for key in FORM:
                set_setting(session, f"sales.{key}", None)
            session.commit()
            session.close()
