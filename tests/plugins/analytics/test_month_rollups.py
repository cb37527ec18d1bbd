"""The month rollups (issue 15's benchmark targets): a year's chart and a two-dimension query
of a declared pair are read from them, give the records' figures to the fen for an admin, a
manager and a rep, are kept current by events, and ``crm analytics verify`` checks them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import text, update

YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}

TICKETS_BY_PRIORITY_AND_TYPE = """
    SELECT t.priority, r.type, count(*) FROM service_ticket t
    JOIN service_request r ON r.id = t.request_id
    WHERE t.deleted_at IS NULL AND t.created_at >= '2026-01-01' AND t.created_at < '2027-01-01'
    GROUP BY t.priority, r.type"""

REVENUE_BY_OWNER_AND_REGION = """
    SELECT o.owner_id, c.province, sum(o.total_amount) FROM sales_order o
    JOIN customers_customer c ON c.id = o.customer_id
    WHERE o.status IN ('confirmed', 'delivered', 'completed') AND o.deleted_at IS NULL
      AND o.confirmed_at >= '2026-01-01' AND o.confirmed_at < '2027-01-01' {where}
    GROUP BY o.owner_id, c.province"""


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["analytics", *args])


def _sql(app, statement, **params):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        rows = session.execute(text(statement), params).all()
        session.close()
    return rows


def _query(client, source, measure, dimensions, filters=YEAR):
    response = client.post("/api/v1/analytics/query", json={
        "source": source, "measure": measure, "dimensions": dimensions, "filters": filters})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _pairs(rows, first, second):
    return {(row[first], row[second]): row["value"] for row in rows}


def _tamper(app, dimension, **values):
    from plugins.analytics.models import RollupMonth

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        changed = session.execute(update(RollupMonth).where(
            RollupMonth.dimension == dimension,
            *(getattr(RollupMonth, key) == value for key, value in values.items()))
            .values(total=RollupMonth.total + 1, n=RollupMonth.n + 1)).rowcount
        session.commit()
        session.close()
    return changed


def test_tickets_by_priority_and_type_come_from_the_month_rollups(analytics_app, world):
    admin = world["clients"]["admin"]
    assert _run(analytics_app, "rebuild").exit_code == 0
    expected = {(priority, kind): str(count) for priority, kind, count in
                _sql(analytics_app, TICKETS_BY_PRIORITY_AND_TYPE)}
    answer = _query(admin, "service.tickets", "count", ["priority", "ticket_type"])
    assert answer["rollups_as_of"] is not None
    assert _pairs(answer["rows"], "priority", "ticket_type") == expected
    assert ("high", "complaint") in expected
    # read from the month rollup of the pair: a tampered row shows, and verify names it
    assert _tamper(analytics_app, "priority|ticket_type", source="service.tickets",
                   measure="count", month="2026-01", value="high") == 1
    tampered = _query(admin, "service.tickets", "count", ["priority", "ticket_type"])
    assert _pairs(tampered["rows"], "priority", "ticket_type")[("high", "complaint")] == \
        str(int(expected[("high", "complaint")]) + 1)
    result = _run(analytics_app, "verify")
    assert result.exit_code == 1
    assert "service.tickets count priority=high ticket_type=complaint 2026-01 (month rollup)" \
        in result.output
    assert _run(analytics_app, "rebuild").exit_code == 0
    assert _run(analytics_app, "verify").exit_code == 0


def test_revenue_by_owner_and_region_keeps_each_readers_scope(analytics_app, world):
    users, clients = world["users"], world["clients"]
    assert _run(analytics_app, "rebuild").exit_code == 0
    everyone = {(str(owner), province): str((Decimal(total) / 100).quantize(Decimal("0.01")))
                for owner, province, total in _sql(analytics_app,
                                                   REVENUE_BY_OWNER_AND_REGION.format(where=""))}
    department_a = {str(users["a1"].id), str(users["a2"].id)}
    for reader, owners in (("admin", None), ("manager", department_a),
                           ("a1", {str(users["a1"].id)})):
        answer = _query(clients[reader], "sales.orders", "sum_total", ["owner", "region"])
        assert answer["rollups_as_of"] is not None
        expected = {key: value for key, value in everyone.items()
                    if owners is None or key[0] in owners}
        assert _pairs(answer["rows"], "owner", "region") == expected, reader
    # a filter on someone else's figures gives a rep nothing, from the rollups as well
    stolen = _query(clients["a1"], "sales.orders", "sum_total", ["month", "region"],
                    {**YEAR, "owner": users["b1"].id})
    assert stolen["rows"] == []


def test_a_past_order_cancelled_leaves_the_month_figures_at_once(analytics_app, world):
    from crm_core.toolkit import db
    from plugins.sales.models import Order
    from plugins.sales.services import cancel_order, confirm_order, create_order

    admin = world["clients"]["admin"]
    with analytics_app.app_context():
        user = db.session.merge(world["users"]["a2"])
        order = create_order(db.session, world["customers"]["a2"], [
            {"product_id": world["products"]["chair"], "quantity": "1",
             "unit_price": "10.00"}], user)
        confirm_order(db.session, order, user)
        db.session.execute(update(Order).where(Order.id == order.id)
                           .values(confirmed_at=dt.datetime(2026, 4, 10, 4)))
        db.session.commit()
        order_id = order.id
    assert _run(analytics_app, "rebuild").exit_code == 0

    def april():
        rows = _query(admin, "sales.orders", "count", ["month"])["rows"]
        by_region = _query(admin, "sales.orders", "count", ["region", "industry"])["rows"]
        return ({row["month"]: row["value"] for row in rows}.get("2026-04"),
                _pairs(by_region, "region", "industry").get(("浙江省", "零售")))

    before = april()
    assert before[0] == "1"
    with analytics_app.app_context():
        cancel_order(db.session, db.session.get(Order, order_id),
                     db.session.merge(world["users"]["a2"]))
        db.session.commit()
    after = april()
    assert after[0] is None
    assert int(after[1] or 0) == int(before[1]) - 1
    assert _run(analytics_app, "verify").exit_code == 0


def test_the_cutoffs_month_adds_its_days_before_the_cutoff_and_todays_records(analytics_app,
                                                                            world):
    import zoneinfo

    from crm_core.toolkit import db
    from plugins.sales.models import Order
    from plugins.sales.services import cancel_order, confirm_order, create_order

    admin = world["clients"]["admin"]
    zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    made = []
    today = dt.datetime.now(zone).date()
    yesterday_noon = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(12), zone)
    with analytics_app.app_context():
        user = db.session.merge(world["users"]["a2"])
        for when in (yesterday_noon, None):  # yesterday (rolled up) and now (read live)
            order = create_order(db.session, world["customers"]["a2"], [
                {"product_id": world["products"]["desk"], "quantity": "1",
                 "unit_price": "20.00"}], user)
            confirm_order(db.session, order, user)
            made.append(order.id)
            if when is not None:
                db.session.execute(update(Order).where(Order.id == order.id).values(
                    confirmed_at=when.astimezone(dt.UTC).replace(tzinfo=None)))
        db.session.commit()
    assert _run(analytics_app, "rebuild").exit_code == 0
    with analytics_app.app_context():
        user = db.session.merge(world["users"]["a2"])
        order = create_order(db.session, world["customers"]["a2"], [
            {"product_id": world["products"]["desk"], "quantity": "1",
             "unit_price": "30.00"}], user)
        confirm_order(db.session, order, user)  # after the rebuild: read from the records
        made.append(order.id)
        db.session.commit()
    [(count,)] = _sql(analytics_app, """SELECT count(*) FROM sales_order
        WHERE status IN ('confirmed', 'delivered', 'completed') AND deleted_at IS NULL""")
    this_year = {"date_from": f"{today.year}-01-01", "date_to": f"{today.year}-12-31"}
    for dimensions in ([], ["month"], ["region", "industry"]):
        rows = _query(admin, "sales.orders", "count", dimensions, this_year)["rows"]
        assert sum(int(row["value"]) for row in rows) == count, dimensions
    assert _run(analytics_app, "verify").exit_code == 0
    with analytics_app.app_context():  # the other tests' world keeps its three months
        user = db.session.merge(world["users"]["a2"])
        for order_id in made:
            cancel_order(db.session, db.session.get(Order, order_id), user)
        db.session.commit()
    assert _run(analytics_app, "verify").exit_code == 0
