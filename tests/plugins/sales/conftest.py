"""Shared fixtures of the sales tests: one migrated app with customers and sales per
process (building one costs seconds), a customer and a product to sell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask


@pytest.fixture(scope="session")
def sales_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with the customers and sales plugins on a fresh migrated SQLite database,
    shared by the sales tests of a process: create records with unique names."""
    from crm_core.testing import migrated_app

    yield from migrated_app(tmp_path_factory.mktemp("sales-app"), ["customers", "sales"])


@pytest.fixture(scope="session")
def make_sales_records() -> Any:
    """``make_sales_records(app, owner, name=..., sku=..., phone=...)``: a customer owned by
    ``owner`` and a product (¥19.99, 13 % VAT, unit 个); returns their ids."""
    return _sales_records


def _sales_records(app: Flask, owner: Any, *, name: str, sku: str,
                   phone: str = "") -> dict[str, int]:
    from plugins.customers.services import create_customer
    from plugins.sales.models import Product

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        customer = create_customer(session, name=name, owner_id=owner.id,
                                   province="上海市", city="浦东新区", address="世纪大道100号",
                                   phones=[phone] if phone else [])
        product = Product(sku=sku, name=f"{name}的产品", unit="个", list_price=1999,
                          tax_rate=1300)
        session.add(product)
        session.commit()
        ids = {"customer_id": customer.id, "product_id": product.id}
        session.close()
    return ids
