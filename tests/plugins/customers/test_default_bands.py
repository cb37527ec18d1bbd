"""A new install has default amount bands (below ¥10k, ¥10k–100k, ¥100k–1M, ¥1M and more),
so the band chart is not all "No band"; an install that already had bands keeps its own."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from crm_core.db import get_session
from crm_core.migrate import alembic_config, upgrade
from crm_core.testing import DATABASES, create_test_user
from plugins.customers import services
from plugins.customers.classification import services as classification
from plugins.customers.classification import taxonomy

BEFORE_DEFAULTS = "a7e31c0d5f62"  # customers_0006_imports_on_the_kernel


@pytest.mark.parametrize("database", DATABASES)
def test_a_fresh_install_sorts_customers_into_four_default_bands(crm_make_app, database):
    app = crm_make_app(plugins=["customers"], database=database)
    admin = create_test_user(app, "root", superuser=True)
    with app.test_request_context():
        session = get_session()
        bands = taxonomy.list_bands(session)
        assert [(band.name, band.min_amount) for band in bands] == [
            ("1万以下", 0), ("1万–10万", 1_000_000), ("10万–100万", 10_000_000),
            ("100万以上", 100_000_000)]
        for name, amount in [("小单", "9999.99"), ("中单", "10000"), ("大单", "250000"),
                             ("巨单", "1000000")]:
            row = services.create_customer(session, name=name)
            services.adjust_total_amount(session, row.id, amount)
        session.commit()
        classification.refresh_stats(session)
        session.commit()
        data = classification.widget_data(session, "band", user=admin)
    assert dict(zip(data["labels"], data["values"], strict=True)) == {
        "1万以下": 1, "1万–10万": 1, "10万–100万": 1, "100万以上": 1}


@pytest.mark.parametrize("database", DATABASES)
def test_an_install_that_has_bands_keeps_them_and_gets_no_defaults(crm_make_app, database):
    app = crm_make_app(plugins=["customers"], database=database, migrate=False)
    with app.app_context():
        command.upgrade(alembic_config(app), BEFORE_DEFAULTS)
        with app.extensions["crm_db"].engine.begin() as connection:
            connection.execute(text("INSERT INTO customers_amount_band (name, min_amount) "
                                    "VALUES ('Key accounts', 50000000)"))
        upgrade(app)
    with app.test_request_context():
        bands = taxonomy.list_bands(get_session())
        assert [(band.name, band.min_amount) for band in bands] == [
            ("Key accounts", 50_000_000)]
