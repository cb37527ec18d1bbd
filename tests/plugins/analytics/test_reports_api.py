"""``/api/v1/analytics/reports`` as API clients use it: save, list, get, change, delete and
run a report; refusals name the field; another user's private report answers 404; a shared
report runs as its reader (a rep's figures are their own)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

REVENUE = {"title": "每月收入", "source": "sales.orders", "measure": "sum_total",
           "dimensions": ["month"], "period": "custom",
           "filters": {"date_from": "2026-01-01", "date_to": "2026-12-31"}}


def _owner_sums(app, owner_ids):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        rows = session.execute(text(
            "SELECT substr(CAST(confirmed_at AS TEXT), 1, 7) AS m, sum(total_amount) "
            "FROM sales_order WHERE status IN ('confirmed','delivered','completed') "
            "AND deleted_at IS NULL AND owner_id IN ({}) GROUP BY m ORDER BY m".format(
                ",".join(str(int(i)) for i in owner_ids)))).all()
        session.close()
    return [{"month": m, "value": str((Decimal(t) / 100).quantize(Decimal("0.01")))}
            for m, t in rows]


def test_a_report_is_saved_listed_changed_run_and_deleted(analytics_app, world):
    client = world["clients"]["a1"]
    created = client.post("/api/v1/analytics/reports", json=REVENUE)
    assert created.status_code == 201, created.get_json()
    report = created.get_json()
    assert report["mine"] and report["shared"] is False and report["dimensions"] == ["month"]
    listed = client.get("/api/v1/analytics/reports").get_json()["items"]
    assert report["id"] in [item["id"] for item in listed]
    changed = client.patch(f"/api/v1/analytics/reports/{report['id']}",
                           json={"title": "收入（月）", "chart": "line"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["title"] == "收入（月）"
    data = client.get(f"/api/v1/analytics/reports/{report['id']}/data").get_json()
    assert data["chart"] == "line" and data["notice"] is None and data["as_of"]
    assert [{"month": r["month"], "value": r["value"]} for r in data["rows"]] == \
        _owner_sums(analytics_app, [world["users"]["a1"].id])
    assert client.delete(f"/api/v1/analytics/reports/{report['id']}").status_code == 204
    assert client.get(f"/api/v1/analytics/reports/{report['id']}").status_code == 404


def test_unknown_measures_dimensions_and_filters_answer_422_naming_the_field(world):
    client = world["clients"]["a1"]
    bad = client.post("/api/v1/analytics/reports", json={
        **REVENUE, "measure": "profit", "dimensions": ["month", "planet"],
        "filters": {"colour": "red", "date_from": "yesterday"}})
    assert bad.status_code == 422
    assert bad.headers["Content-Type"].startswith("application/problem+json")
    fields = set(bad.get_json()["errors"])
    assert {"measure", "dimensions.1", "filters.colour", "filters.date_from"} <= fields
    nosource = client.post("/api/v1/analytics/reports", json={**REVENUE, "source": "x.y"})
    assert nosource.status_code == 422 and "source" in nosource.get_json()["errors"]
    toomany = client.post("/api/v1/analytics/reports",
                          json={**REVENUE, "dimensions": ["month", "owner", "region"]})
    assert toomany.status_code == 422 and "dimensions" in toomany.get_json()["errors"]


def test_another_users_private_report_answers_404_on_every_path(world):
    owner, other = world["clients"]["b1"], world["clients"]["a2"]
    report_id = owner.post("/api/v1/analytics/reports", json=REVENUE).get_json()["id"]
    for method, path in (("get", ""), ("get", "/data"), ("patch", ""), ("delete", "")):
        kwargs = {"json": {"title": "x"}} if method == "patch" else {}
        answer = getattr(other, method)(f"/api/v1/analytics/reports/{report_id}{path}",
                                        **kwargs)
        assert answer.status_code == 404, (method, path)
    assert report_id not in [item["id"] for item in
                             other.get("/api/v1/analytics/reports").get_json()["items"]]
    assert world["clients"]["admin"].get(
        f"/api/v1/analytics/reports/{report_id}").status_code == 404


def test_a_shared_report_runs_as_its_reader_and_only_the_owner_changes_it(analytics_app,
                                                                            world):
    from sqlalchemy import select

    from crm_core.toolkit import model_for_table

    with analytics_app.app_context():
        session = analytics_app.extensions["crm_db"].new_session()
        role = model_for_table("core_role")
        sales_role = session.scalar(select(role.id).where(role.name == "sales"))
        session.close()
    rep = world["clients"]["a2"]
    assert rep.post("/api/v1/analytics/reports",
                    json={**REVENUE, "shared": True, "role_ids": [sales_role]}
                    ).status_code == 403  # a rep may not share
    manager = world["clients"]["manager"]
    report = manager.post("/api/v1/analytics/reports",
                          json={**REVENUE, "shared": True, "role_ids": [sales_role]}).get_json()
    mine = rep.get(f"/api/v1/analytics/reports/{report['id']}/data").get_json()
    assert [{"month": r["month"], "value": r["value"]} for r in mine["rows"]] == \
        _owner_sums(analytics_app, [world["users"]["a2"].id])
    crafted = rep.get(f"/api/v1/analytics/reports/{report['id']}/data"
                      f"?date_from=2026-01-01&owner_id={world['users']['a1'].id}")
    assert crafted.status_code == 422 and "owner_id" in crafted.get_json()["errors"]
    assert rep.patch(f"/api/v1/analytics/reports/{report['id']}",
                     json={"title": "mine"}).status_code == 404
    assert rep.delete(f"/api/v1/analytics/reports/{report['id']}").status_code == 404


def test_odd_input_answers_4xx(world):
    client = world["clients"]["a1"]
    assert client.get("/api/v1/analytics/reports/99999999999999").status_code == 404
    assert client.get("/api/v1/analytics/reports/1/data?date_from=nonsense").status_code in \
        (404, 422)
    nul = client.post("/api/v1/analytics/reports", json={**REVENUE, "title": "a\x00b"})
    assert nul.status_code in (400, 422)
    deep = client.post("/api/v1/analytics/reports",
                       json={**REVENUE, "filters": {"region": {"a": [[[[1]]]]}}})
    assert deep.status_code in (400, 422)
    huge = client.post("/api/v1/analytics/reports",
                       json={**REVENUE, "filters": {"owner_id": 10 ** 30}})
    assert huge.status_code in (400, 422)


def test_a_saved_filter_naming_another_owner_narrows_to_nothing(world):
    rep = world["clients"]["a2"]
    report = rep.post("/api/v1/analytics/reports", json={
        **REVENUE, "filters": {**REVENUE["filters"], "owner_id": world["users"]["a1"].id}})
    assert report.status_code == 201, report.get_json()
    data = rep.get(f"/api/v1/analytics/reports/{report.get_json()['id']}/data").get_json()
    assert data["rows"] == []  # a1's orders stay a1's: the filter narrows, never widens
