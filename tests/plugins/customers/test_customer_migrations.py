"""The customers tables come from the plugin's own migration branch, agree with the models on
SQLite and PostgreSQL, and go away again with `crm db downgrade customers@base`."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from crm_core.testing import create_test_user, invoke_cli

TABLES = {"customers_customer", "customers_customer_type", "customers_customer_phone",
          "customers_customer_email", "customers_tag", "customers_customer_tag",
          "customers_contact", "customers_contact_record"}


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_upgrade_creates_the_tables_and_check_agrees_then_downgrade_removes_them(
        crm_make_app, database):
    app = crm_make_app(plugins=["customers"], database=database, migrate=False)
    url = app.config["CRM_DATABASE_URL"]

    upgraded = invoke_cli(app, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "customers" in upgraded.output
    assert TABLES <= tables(url)
    checked = invoke_cli(app, "db", "check")
    assert checked.exit_code == 0, checked.output
    assert "Models and migrations agree." in checked.output

    engine = create_engine(url)
    indexes = {index["name"] for index in inspect(engine).get_indexes("customers_customer")}
    engine.dispose()
    assert {"ix_customers_customer_owner_id_id", "ix_customers_customer_department_id_id",
            "ix_customers_customer_industry_province_total_amount_id",
            "ix_customers_customer_updated_at_id"} <= indexes
    assert "ix_customers_customer_industry_id" not in indexes  # covered (customers_0010)

    downgraded = invoke_cli(app, "db", "downgrade", "customers@base")
    assert downgraded.exit_code == 0, downgraded.output
    assert not TABLES & tables(url)
    assert "core_user" in tables(url)
    again = invoke_cli(app, "db", "upgrade")
    assert again.exit_code == 0, again.output
    assert TABLES <= tables(url)



@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_upgrading_moves_each_owned_customer_into_its_owners_department(crm_make_app, database):
    from sqlalchemy import text

    from crm_core.db import get_session
    from crm_core.rbac.departments import create_department
    from plugins.customers import services

    app = crm_make_app(plugins=["customers"], database=database)
    with app.app_context():
        session = get_session()
        east, west = (create_department(session, name).id for name in ("East", "West"))
        session.commit()  # the user is made in a session of its own
        owner = create_test_user(app, "west-rep")
        session.execute(text("UPDATE core_user SET department_id = :d WHERE id = :u"),
                        {"d": west, "u": owner.id})
        owned = services.create_customer(session, name="客户甲", owner_id=owner.id).id
        ownerless = services.create_customer(session, name="客户乙").id
        session.commit()
        # As the old API wrote them: both in East, whoever owned them.
        session.execute(text("UPDATE customers_customer SET department_id = :d"), {"d": east})
        session.commit()
    assert invoke_cli(app, "db", "downgrade", "customers@3f9a1c2d7e04").exit_code == 0
    assert invoke_cli(app, "db", "upgrade").exit_code == 0
    engine = create_engine(app.config["CRM_DATABASE_URL"])
    with engine.connect() as connection:
        departments = dict(connection.execute(text(
            "SELECT id, department_id FROM customers_customer")).all())
    engine.dispose()
    assert departments == {owned: west, ownerless: east}
