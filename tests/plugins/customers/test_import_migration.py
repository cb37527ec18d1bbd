"""Upgrading moves the customers' own import records onto the kernel's tables: an import,
what it changed and a saved template come through (spec ``customers.customer``), the
customers it created still name it, and its undo still works."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from crm_core.testing import create_test_user, invoke_cli

BEFORE = "5d7c3a1e9b20"  # the customers revision before the move


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_old_imports_changes_and_templates_move_to_the_kernel(crm_make_app, database):
    from crm_core.db import get_session
    from plugins.customers import services

    app = crm_make_app(plugins=["customers"], database=database)
    user = create_test_user(app, "importer", superuser=True)
    with app.app_context():
        session = get_session()
        # a kernel import already there: the moved ones get new ids after it
        session.execute(text("INSERT INTO core_import (spec, user_id, filename, stored_path, "
                             "encoding, mode, all_or_nothing, create_missing, mapping, status, "
                             "total, created, updated, skipped, failed, new_values, message, "
                             "created_at, updated_at) VALUES ('customers.tag', NULL, 't.csv', "
                             "'', '', 'insert', false, true, '{}', 'done', 0, 0, 0, 0, 0, "
                             "'{}', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        created = services.create_customer(session, name="导入的客户").id
        changed = services.create_customer(session, name="改过的客户", industry="新行业").id
        session.commit()
    assert invoke_cli(app, "db", "downgrade", f"customers@{BEFORE}").exit_code == 0
    engine = create_engine(app.config["CRM_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO customers_import (id, user_id, filename, stored_path, encoding, mode, "
            "key, all_or_nothing, mapping, status, total, created, updated, skipped, failed, "
            "message, finished_at, created_at, updated_at) VALUES (1, :user, '客户.csv', '', "
            "'utf-8', 'upsert', 'code', false, :mapping, 'done', 2, 1, 1, 0, 0, '', "
            "'2999-01-01 00:00:00', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"user": user.id, "mapping": json.dumps({"headers": ["名称"], "fields": ["name"],
                                                     "create_missing": False})})
        connection.execute(text("UPDATE customers_customer SET import_id = 1 WHERE id = :id"),
                           {"id": created})
        connection.execute(text(
            "INSERT INTO customers_import_change (import_id, customer_id, old_values) "
            "VALUES (1, :id, :values)"),
            {"id": changed, "values": json.dumps({"old": {"industry": "旧行业"},
                                                  "new": {"industry": "新行业"}})})
        connection.execute(text(
            "INSERT INTO customers_import_template (name, owner_id, mapping, created_at, "
            "updated_at) VALUES ('ERP', :user, :mapping, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"), {"user": user.id, "mapping": json.dumps({"名称": "name"})})
    upgraded = invoke_cli(app, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    with engine.connect() as connection:
        moved = connection.execute(text(
            "SELECT id, filename, mode, key, create_missing, created, updated FROM core_import "
            "WHERE spec = 'customers.customer'")).one()
        assert moved[1:] == ("客户.csv", "upsert", "code", False, 1, 1)
        assert connection.scalar(text("SELECT import_id FROM customers_customer WHERE id = :id"),
                                 {"id": created}) == moved[0] == 2
        record = connection.execute(text(
            "SELECT record_id, created, old, new FROM core_import_record")).one()
        assert record[0] == str(changed) and not record[1]
        old = json.loads(record[2]) if isinstance(record[2], str) else record[2]
        assert old == {"industry": "旧行业"}
        assert connection.execute(text(
            "SELECT spec, name FROM core_import_template")).one() == ("customers.customer", "ERP")
        tables = {name for (name,) in connection.execute(text(
            "SELECT table_name FROM information_schema.tables") if database == "postgresql"
            else text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
        assert not {"customers_import", "customers_import_change"} & tables
    engine.dispose()
    with app.app_context():
        from crm_core.imports.models import TabularImport
        from crm_core.imports.service import get_spec
        from crm_core.imports.undo import undo_import
        from plugins.customers.models import Customer

        session = get_session()
        result = undo_import(session, get_spec("customers.customer"),
                             session.get(TabularImport, 2), user_id=None)
        assert (result.removed, result.restored) == (1, 1)
        assert session.get(Customer, created).deleted_at is not None
        assert session.get(Customer, changed).industry == "旧行业"
