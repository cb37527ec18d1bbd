"""The dashboard's recount (``refresh_stats``) at a million customers: with the statistics
SQLite's sampled ANALYZE left there, the planner read every customer through a list index
and looked each one up in the table (22.4-22.9 s a refresh, every ten minutes and after
large imports); reading the table from end to end takes 7.6 s (docs/PERFORMANCE.md)."""

from __future__ import annotations

from sqlalchemy import event, text

from crm_core.db import get_session
from plugins.customers.classification import services as classification

# sqlite_stat1 of customers_customer in the benchmark's million-customer database
MILLION = {
    "ix_customers_customer_industry_province_total_amount_id": "1000080 47623 1560 1 1",
    "ix_customers_customer_owner_id_updated_at_id": "584766 1001 1 1",
    "ix_customers_customer_owner_id_id": "1412224 1001 1",
    "ix_customers_customer_customer_type_id": "1451240 1001",
    "ix_customers_customer_department_id_id": "1000080 200016 1",
    "ix_customers_customer_created_at_id": "469278 1 1",
    "ix_customers_customer_updated_at_id": "553758 1 1",
    "ix_customers_customer_total_amount_id": "1557024 6 1",
}


def test_the_recount_reads_the_customers_table_not_a_list_index(customers_app):
    with customers_app.app_context():
        session = get_session()
        session.execute(text("ANALYZE"))
        session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'customers_customer'"))
        for index, stat in MILLION.items():
            session.execute(text("INSERT INTO sqlite_stat1 VALUES ('customers_customer', "
                                 ":index, :stat)"), {"index": index, "stat": stat})
        session.commit()
        session.execute(text("ANALYZE sqlite_schema"))  # the planner reads them again
        counted: list[str] = []
        engine = session.get_bind()

        def note(_conn, _cursor, statement, *_args):
            if "GROUP BY" in statement:
                counted.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            classification.refresh_stats(session)
            session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", note)
        plans = [" / ".join(row[3] for row in session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, tuple([0] * statement.count("?"))))
            for statement in counted]
    assert len(plans) == len(classification.DIMENSIONS)
    assert all("SCAN customers_customer USING" not in plan for plan in plans), plans
