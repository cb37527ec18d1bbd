"""The rollups: ``crm analytics rebuild`` fills them set-based, the query API answers the
same figures from them (past days) and from the records (today), ``crm analytics verify``
names a difference and exits 1; the nightly beat runs the rebuild."""

from __future__ import annotations

from sqlalchemy import func, select, update


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["analytics", *args])


def _query(client, **body):
    response = client.post("/api/v1/analytics/query", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


QUERIES = ({"source": "sales.orders", "measure": "sum_total", "dimensions": ["month"]},
           {"source": "sales.orders", "measure": "avg_total", "dimensions": ["owner", "week"]},
           {"source": "sales.order_lines", "measure": "sum_total", "dimensions": ["product"],
            "filters": {"date_from": "2026-01-10", "date_to": "2026-02-28"}},
           {"source": "service.tickets", "measure": "avg_response_hours",
            "dimensions": ["priority"]},
           {"source": "customers.customers", "measure": "count", "dimensions": ["region"]})


def test_rollups_answer_the_same_figures_as_the_records(analytics_app, world):
    from plugins.analytics.models import Rollup

    viewers = [world["clients"][key] for key in ("admin", "manager", "a1")]
    before = [[_query(client, **body)["rows"] for body in QUERIES] for client in viewers]
    result = _run(analytics_app, "rebuild")
    assert result.exit_code == 0, result.output
    assert "sales.orders:" in result.output
    with analytics_app.app_context():
        session = analytics_app.extensions["crm_db"].new_session()
        assert session.scalar(select(func.count()).select_from(Rollup)) > 0
        session.close()
    answer = _query(viewers[0], **QUERIES[0])
    assert answer["rollups_as_of"] is not None
    after = [[_query(client, **body)["rows"] for body in QUERIES] for client in viewers]
    assert after == before
    assert _run(analytics_app, "verify").exit_code == 0


def test_an_order_confirmed_after_the_rebuild_counts_at_once(analytics_app, world):
    from crm_core.toolkit import db
    from plugins.sales.services import confirm_order, create_order

    admin = world["clients"]["admin"]
    assert _run(analytics_app, "rebuild").exit_code == 0
    before = _query(admin, source="sales.orders", measure="count")["rows"][0]["value"]
    with analytics_app.app_context():
        user = db.session.merge(world["users"]["a2"])
        order = create_order(db.session, world["customers"]["a2"], [
            {"product_id": world["products"]["chair"], "quantity": "1",
             "unit_price": "10.00"}], user)
        confirm_order(db.session, order, user)
        db.session.commit()
    after = _query(admin, source="sales.orders", measure="count")["rows"][0]["value"]
    assert int(after) == int(before) + 1


def test_verify_names_a_rolled_up_total_that_differs_and_exits_1(analytics_app, world):
    from plugins.analytics.models import Rollup

    assert _run(analytics_app, "rebuild").exit_code == 0
    with analytics_app.app_context():
        session = analytics_app.extensions["crm_db"].new_session()
        session.execute(update(Rollup).where(
            Rollup.source == "sales.orders", Rollup.measure == "sum_total",
            Rollup.dimension == "region", Rollup.value == "上海市",
            Rollup.month == "2026-01").values(total=Rollup.total + 1))
        session.commit()
        session.close()
    result = _run(analytics_app, "verify")
    assert result.exit_code == 1
    assert "sales.orders sum_total region=上海市 2026-01" in result.output
    assert _run(analytics_app, "rebuild").exit_code == 0
    assert _run(analytics_app, "verify").exit_code == 0


def test_the_nightly_beat_rebuilds_the_rollups(analytics_app):
    from crm_core.toolkit import hooks

    with analytics_app.app_context():
        entries = [entry for group in hooks().crm_beat_schedule() for entry in group]
    assert any(entry.task == "rebuild" and entry.crontab == "30 2 * * *" for entry in entries)


def test_cancelling_an_order_of_a_rolled_up_day_leaves_the_figures_at_once(analytics_app,
                                                                           world):
    from crm_core.toolkit import db
    from plugins.sales.models import Order
    from plugins.sales.services import cancel_order

    admin = world["clients"]["admin"]
    body = {"source": "sales.orders", "measure": "sum_total", "dimensions": ["day"],
            "filters": {"date_from": "2026-01-20", "date_to": "2026-01-20"}}
    assert _run(analytics_app, "rebuild").exit_code == 0
    [before] = _query(admin, **body)["rows"]
    assert before["day"] == "2026-01-20" and before["value"] != "0.00"
    with analytics_app.app_context():
        order = db.session.get(Order, world["orders"][1])  # a1's chair of 2026-01-20
        cancel_order(db.session, order, db.session.merge(world["users"]["a1"]))
        db.session.commit()
    assert _query(admin, **body)["rows"] == []
    assert _run(analytics_app, "verify").exit_code == 0
