"""The query API as a manager, a rep and a stranger use it: figures equal to direct SQL sums
to the fen, a rep's numbers only their own whatever the filter, refusals naming the field."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text


def _sql(app, statement, **params):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        rows = session.execute(text(statement), params).all()
        session.close()
    return rows


def _yuan(fen):
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def _query(client, **body):
    response = client.post("/api/v1/analytics/query", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


REVENUE_BY_MONTH = """
    SELECT substr(CAST(confirmed_at AS TEXT), 1, 7) AS month, sum(total_amount) FROM sales_order
    WHERE status IN ('confirmed', 'delivered', 'completed') AND deleted_at IS NULL
    {owner} GROUP BY month ORDER BY month"""


def test_sources_list_each_plugins_facts_with_measures_and_dimensions(analytics_app, world):
    answer = world["clients"]["manager"].get("/api/v1/analytics/sources").get_json()
    sources = {source["id"]: source for source in answer["items"]}
    assert {"sales.orders", "sales.order_lines", "service.tickets",
            "customers.customers"} <= set(sources)
    orders = sources["sales.orders"]
    assert {"count", "sum_total"} <= {m["id"] for m in orders["measures"]}
    assert {"month", "week", "day", "owner", "department", "region", "industry"} <= \
        {d["id"] for d in orders["dimensions"]}
    assert "avg_response_hours" in {m["id"] for m in sources["service.tickets"]["measures"]}
    assert "stage" in {d["id"] for d in sources["sales.opportunities"]["dimensions"]}


def test_revenue_per_month_equals_the_sql_sum_to_the_fen(analytics_app, world):
    expected = [{"month": month, "value": _yuan(total)} for month, total in
                _sql(analytics_app, REVENUE_BY_MONTH.format(owner=""))]
    answer = _query(world["clients"]["admin"], source="sales.orders", measure="sum_total",
                    dimensions=["month"],
                    filters={"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert [{"month": row["month"], "value": row["value"]} for row in answer["rows"]] == expected
    assert len(expected) == 3 and answer["as_of"]


def test_a_rep_sees_only_their_own_numbers_and_a_filter_cannot_widen_them(analytics_app, world):
    a1, b1 = world["users"]["a1"], world["users"]["b1"]
    own = [{"month": month, "value": _yuan(total)} for month, total in _sql(
        analytics_app, REVENUE_BY_MONTH.format(owner="AND owner_id = :owner"), owner=a1.id)]
    rep = world["clients"]["a1"]
    answer = _query(rep, source="sales.orders", measure="sum_total", dimensions=["month"])
    assert [{"month": r["month"], "value": r["value"]} for r in answer["rows"]] == own
    stolen = _query(rep, source="sales.orders", measure="sum_total", dimensions=["owner"],
                    filters={"owner_id": b1.id})
    assert stolen["rows"] == []
    other_department = _query(rep, source="sales.orders", measure="count", dimensions=[],
                              filters={"department_id": b1.department_id})
    assert other_department["rows"] == [] or other_department["rows"][0]["value"] == "0"


def test_a_manager_sees_the_departments_reps_by_name(analytics_app, world):
    users = world["users"]
    answer = _query(world["clients"]["manager"], source="sales.orders", measure="count",
                    dimensions=["owner"])
    by_owner = {row["owner"]: row for row in answer["rows"]}
    assert set(by_owner) == {str(users["a1"].id), str(users["a2"].id)}
    assert by_owner[str(users["a1"].id)]["value"] == "3"
    assert by_owner[str(users["a1"].id)]["owner_label"] == users["a1"].username


def test_revenue_by_product_and_region_add_up_to_the_lines_and_orders(analytics_app, world):
    admin = world["clients"]["admin"]
    lines = _sql(analytics_app, """
        SELECT l.product_id, sum(l.total) FROM sales_order_line l
        JOIN sales_order o ON o.id = l.order_id
        WHERE o.status IN ('confirmed', 'delivered', 'completed') AND o.deleted_at IS NULL
        GROUP BY l.product_id""")
    answer = _query(admin, source="sales.order_lines", measure="sum_total",
                    dimensions=["product"])
    assert {(int(r["product"]), r["value"]) for r in answer["rows"]} == \
        {(product, _yuan(total)) for product, total in lines}
    assert {r["product_label"] for r in answer["rows"]} == {"人体工学椅", "升降桌"}
    regions = _query(admin, source="sales.orders", measure="sum_total",
                     dimensions=["region", "month"], filters={"industry": "制造业"})
    assert {r["region"] for r in regions["rows"]} == {"上海市", "广东省"}


def test_average_first_response_in_hours_counts_only_answered_tickets(analytics_app, world):
    answer = _query(world["clients"]["admin"], source="service.tickets",
                    measure="avg_response_hours", dimensions=["month"])
    assert [(r["month"], r["value"]) for r in answer["rows"]] == \
        [("2026-01", "1.13"), ("2026-02", "3.33")]  # (90+45)/2 min; 200 min, one unanswered
    by_priority = _query(world["clients"]["a1"], source="service.tickets", measure="count",
                         dimensions=["priority"])
    assert {r["priority_label"]: r["value"] for r in by_priority["rows"]} == \
        {"High": "2", "Normal": "1", "Low": "1"}


def test_unknown_names_answer_422_naming_the_field(analytics_app, world):
    client = world["clients"]["manager"]
    cases = [({"source": "sales.nothing", "measure": "count"}, "source"),
             ({"source": "sales.orders", "measure": "sum_nothing"}, "measure"),
             ({"source": "sales.orders", "measure": "count", "dimensions": ["colour"]},
              "dimensions.0"),
             ({"source": "sales.orders", "measure": "count", "filters": {"owner": 1,
                                                                          "hack": 1}},
              "filters.hack"),
             ({"source": "sales.orders", "measure": "count",
               "filters": {"date_from": "2026-13-01"}}, "filters.date_from"),
             ({"source": "sales.orders", "measure": "count",
               "dimensions": ["month", "owner", "region"]}, "dimensions")]
    for body, field in cases:
        response = client.post("/api/v1/analytics/query", json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], response.get_json()


def test_people_without_the_permission_are_refused(analytics_app, world):
    assert world["clients"]["agent"].get("/api/v1/analytics/sources").status_code == 403
