"""PostgreSQL knows a filterable field's values as soon as the field becomes filterable.

Making a field filterable builds an expression index; PostgreSQL keeps statistics of an
index's expression only once the table is analyzed again. Without them it guesses that a
value matches 0.5 % of the rows, whatever the truth, and plans the list's filtered pages
(and a filter combined with others) on that guess. The kernel analyzes the table right
after building the index (issue 19, the list filtered by a custom field at 1M customers).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from crm_core.custom_fields import service, storage
from crm_core.db import get_session

pytestmark = pytest.mark.postgres

CUSTOMERS = 1500
SEGMENT = {"key": "segment", "type": "choice", "options": ["医疗器械", "汽车零部件"],
           "labels": {"zh_CN": "细分行业", "en": "Segment"}}


def estimated_rows(session, value):
    """The planner's guess of how many customers hold ``value`` in the segment field."""
    plan = session.execute(text(
        "EXPLAIN (FORMAT JSON) SELECT id FROM customers_customer "
        "WHERE (customers_customer.custom ->> 'segment') = :value"), {"value": value}
    ).scalar()
    return plan[0]["Plan"]["Plan Rows"]


@pytest.mark.parametrize("how", ["made filterable", "restored"])
def test_a_field_made_filterable_has_its_values_counted_by_the_planner(crm_make_app, how):
    from plugins.customers.demo import seed as demo

    app = crm_make_app(plugins=["customers"], database="postgresql")
    with app.app_context():
        session = get_session()
        kind = storage.record_kinds(app)["customers.customer"]
        field = service.create_field(session, kind, SEGMENT)
        session.commit()
        demo.fill(session, CUSTOMERS, records_per_customer=0.01)
        # nine customers in ten are in 医疗器械, as an import of the field's values leaves it
        session.execute(text(
            "UPDATE customers_customer SET custom = jsonb_build_object('segment', CASE "
            "WHEN id % 10 = 0 THEN '汽车零部件' ELSE '医疗器械' END)"))
        session.execute(text("ANALYZE customers_customer"))  # the load's own statistics
        session.commit()
        common = session.execute(text(
            "SELECT count(*) FROM customers_customer WHERE custom ->> 'segment' = '医疗器械'"
        )).scalar()

        if how == "restored":  # archived while filterable (index dropped), then restored
            service.update_field(session, kind, field, {"filterable": True})
            service.archive_field(session, kind, field)
            session.commit()
            service.restore_field(session, kind, field)
        else:
            service.update_field(session, kind, field, {"filterable": True})
        session.commit()

        assert common > CUSTOMERS * 0.8
        # the planner's guess follows the data, not a fixed 0.5 % (7 of 1,500)
        assert estimated_rows(session, "医疗器械") > common * 0.5
        assert estimated_rows(session, "汽车零部件") < common * 0.5
