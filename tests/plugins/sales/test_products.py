"""Products: the API takes and shows yuan and percent, a duplicate SKU is refused under its
field (API and form), and a small CSV imports with its one bad row reported."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.testing import client_as, create_test_user, invoke_cli
from plugins.sales.models import Product


@pytest.fixture(scope="module")
def manager(sales_app):
    user = create_test_user(sales_app, "s2-products-manager", roles=("manager",),
                            department="S2 Products")
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        _row, plain = create_token(session, session.get(User, user.id), "test")
        session.commit()
        session.close()
    return {"Authorization": f"Bearer {plain}"}


def test_the_api_takes_yuan_and_percent_and_stores_fen_and_basis_points(sales_app, manager):
    client = sales_app.test_client()
    response = client.post("/api/v1/sales/products", headers=manager, json={
        "sku": "S2-P-1", "name": "办公桌", "unit": "张", "list_price": "19.99",
        "tax_rate": "13"})
    assert response.status_code == 201, response.get_json()
    product = response.get_json()
    assert (product["list_price"], product["tax_rate"], product["active"]) == \
        ("19.99", "13", True)
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        stored = session.get(Product, product["id"])
        assert (stored.list_price, stored.tax_rate) == (1999, 1300)
        session.close()
    patched = client.patch(f"/api/v1/sales/products/{product['id']}", headers=manager,
                           json={"list_price": "20", "tax_rate": "9"})
    assert (patched.get_json()["list_price"], patched.get_json()["tax_rate"]) == ("20.00", "9")


def test_a_duplicate_sku_is_refused_under_its_field(sales_app, manager):
    client = sales_app.test_client()
    body = {"sku": "S2-P-DUP", "name": "文件柜", "list_price": "100"}
    assert client.post("/api/v1/sales/products", headers=manager, json=body).status_code == 201
    again = client.post("/api/v1/sales/products", headers=manager, json=body)
    assert again.status_code == 422
    assert again.mimetype == "application/problem+json"
    assert "文件柜" in again.get_json()["errors"]["sku"][0]


@pytest.mark.parametrize(("field", "value"), [("list_price", "-1"), ("list_price", "1.234"),
                                              ("list_price", True), ("tax_rate", "101")])
def test_bad_amounts_and_rates_are_422_naming_the_field(sales_app, manager, field, value):
    body = {"sku": f"S2-P-BAD-{field}", "name": "坏", "list_price": "1", field: value}
    response = sales_app.test_client().post("/api/v1/sales/products", headers=manager,
                                            json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def csrf(html):
    """The CSRF token of a page's form."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_form_reads_yuan_and_marks_a_duplicate_sku(sales_app):
    client = client_as(sales_app, "manager", department="S2 Products")
    page = client.get("/sales/products/new")
    assert page.status_code == 200 and "13%" in page.get_data(as_text=True)
    form = {"sku": "S2-P-FORM", "name": "白板", "unit": "块", "list_price": "88.80",
            "tax_rate": "900", "active": "y", "csrf_token": csrf(page.get_data(as_text=True))}
    created = client.post("/sales/products", data=form)
    assert created.status_code == 302
    detail = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "88.80" in detail and "9%" in detail
    duplicate = client.post("/sales/products", data=form)
    assert duplicate.status_code == 400
    assert "白板" in duplicate.get_data(as_text=True)


def test_a_small_csv_imports_and_reports_its_one_bad_row(sales_app, tmp_path):
    path = tmp_path / "products.csv"
    path.write_text("编码,名称,单位,单价,税率\n"
                    "S2-IMP-1,订书机,个,12.50,13\n"
                    "S2-IMP-2,回形针,盒,3,6%\n"
                    "S2-IMP-3,坏价格,个,abc,13\n", encoding="utf-8-sig")
    result = invoke_cli(sales_app, "sales", "import", "products", str(path))
    assert result.exit_code == 1, result.output
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        found = {product.sku: (product.list_price, product.tax_rate) for product in
                 session.scalars(select(Product).where(Product.sku.like("S2-IMP-%")))}
        session.close()
    assert found == {"S2-IMP-1": (1250, 1300), "S2-IMP-2": (300, 600)}
    assert "1" in result.output
