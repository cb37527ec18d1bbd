"""The report builder and saved reports as a manager uses them in the browser: pick a
source, measure and two dimensions, preview a chart and a pivot table with totals equal to
SQL, save, share, open, export, duplicate, add to a dashboard, delete; another user's
private report answers 404 on every page; a rep opening a shared report sees their own."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from crm_core.testing_clients import client_as, csrf_token_of


@pytest.fixture(scope="module")
def people(analytics_app, world):
    """Signed-in browsers: a manager of department A and a rep (a1's department)."""
    return {"manager": client_as(analytics_app, "manager", department="分析 A部"),
            "rep": client_as(analytics_app, "sales", department="分析 B部"),
            "other": client_as(analytics_app, "sales", department="分析 A部")}


def _get(session, user):
    """The user in ``session`` (``merge`` would write the test's stale copy back)."""
    return session.get(type(user), user.id)


def _builder_form(client, **fields):
    token = csrf_token_of(client, "/analytics/reports/new")
    base = {"csrf_token": token, "title": "按月与负责人的收入", "source": "sales.orders",
            "measure": "sum_total", "dimension": "month", "dimension2": "owner",
            "period": "custom", "date_from": "2026-01-01", "date_to": "2026-12-31",
            "chart": "bar"}
    base.update(fields)
    return base


def _sql(app, statement):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        rows = session.execute(text(statement)).all()
        session.close()
    return rows


def _yuan(fen):
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def test_the_builder_previews_a_chart_and_a_pivot_table_with_totals(analytics_app, world,
                                                                     people):
    client = people["manager"]
    page = client.get("/analytics/reports/new?source=sales.orders")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="source"' in html and "sales.orders" in html and "filter_region" in html
    preview = client.post("/analytics/reports/new",
                          data={**_builder_form(client), "action": "preview"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "analytics-report-chart" in html and "echarts.min.js" in html
    # the manager sees department A: a1 and a2's orders; the grand total is their SQL sum
    department = world["users"]["a1"].department_id
    (total,), = _sql(analytics_app, "SELECT sum(total_amount) FROM sales_order WHERE status "
                     "IN ('confirmed','delivered','completed') AND deleted_at IS NULL AND "
                     f"department_id = {int(department)}")
    assert f'<td class="text-end">{_yuan(total)}</td>' in html
    assert "<tfoot>" in html


def test_a_saved_report_is_listed_opened_exported_duplicated_and_deleted(analytics_app,
                                                                          world, people):
    from openpyxl import load_workbook

    client = people["manager"]
    saved = client.post("/analytics/reports/new",
                        data={**_builder_form(client, title="部门收入"), "action": "save"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    report_url = saved.headers["Location"]
    report_id = int(re.search(r"/analytics/reports/(\d+)", report_url).group(1))
    shown = client.get(report_url).get_data(as_text=True)
    assert "部门收入" in shown and "analytics-report-chart" in shown
    assert "部门收入" in client.get("/analytics/reports").get_data(as_text=True)
    exported = client.get(f"/analytics/reports/{report_id}/export?format=xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.data)).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "部门收入"
    assert values[-1][0] in ("Total", "合计", "总计")
    department = world["users"]["a1"].department_id
    (total,), = _sql(analytics_app, "SELECT sum(total_amount) FROM sales_order WHERE status "
                     "IN ('confirmed','delivered','completed') AND deleted_at IS NULL AND "
                     f"department_id = {int(department)}")
    assert Decimal(str(values[-1][-1])).quantize(Decimal("0.01")) == Decimal(_yuan(total))
    listing = client.get("/analytics/reports").get_data(as_text=True)
    assert "data-confirm" in listing
    token = csrf_token_of(client, "/analytics/reports")
    copy = client.post(f"/analytics/reports/{report_id}/duplicate", data={"csrf_token": token})
    assert copy.status_code == 302 and "/edit" in copy.headers["Location"]
    deleted = client.post(f"/analytics/reports/{report_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert client.get(report_url).status_code == 404


def test_another_users_private_report_answers_404_on_every_page(people):
    owner, other = people["manager"], people["other"]
    saved = owner.post("/analytics/reports/new",
                       data={**_builder_form(owner, title="私人"), "action": "save"})
    report_id = int(re.search(r"/analytics/reports/(\d+)", saved.headers["Location"]).group(1))
    token = csrf_token_of(other, "/analytics/reports")
    for path in ("", "/edit", "/export"):
        assert other.get(f"/analytics/reports/{report_id}{path}").status_code == 404, path
    for path in ("/duplicate", "/delete", "/dashboard"):
        assert other.post(f"/analytics/reports/{report_id}{path}",
                          data={"csrf_token": token}).status_code == 404, path


def test_a_report_shared_with_a_role_shows_the_rep_only_their_own_figures(analytics_app,
                                                                           people):
    from crm_core.toolkit import model_for_table

    with analytics_app.app_context():
        session = analytics_app.extensions["crm_db"].new_session()
        role = model_for_table("core_role")
        sales_role = session.scalar(select(role.id).where(role.name == "sales"))
        session.close()
    owner, rep = people["manager"], people["rep"]
    form = _builder_form(owner, title="共享收入", dimension2="", shared="y",
                         role_ids=str(sales_role))
    saved = owner.post("/analytics/reports/new", data={**form, "action": "save"})
    assert saved.status_code == 302
    report_id = int(re.search(r"/analytics/reports/(\d+)", saved.headers["Location"]).group(1))
    page = rep.get(f"/analytics/reports/{report_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "共享收入" in html and "Nothing in this period." in html or "没有" in html
    assert rep.get(f"/analytics/reports/{report_id}/edit").status_code == 404


def test_a_report_is_added_to_a_dashboard(analytics_app, people):
    from plugins.analytics.dashboards.service import create_dashboard, dashboard_report_ids

    client = people["manager"]
    with analytics_app.test_request_context():
        session = analytics_app.extensions["crm_db"].new_session()
        dashboard = create_dashboard(session, user=_get(session, client.user), name="报表板")
        session.commit()
        dashboard_id = dashboard.id
        session.close()
    saved = client.post("/analytics/reports/new",
                        data={**_builder_form(client, title="看板上的"), "action": "save"})
    report_id = int(re.search(r"/analytics/reports/(\d+)", saved.headers["Location"]).group(1))
    page = client.get(f"/analytics/reports/{report_id}").get_data(as_text=True)
    assert "报表板" in page
    token = csrf_token_of(client, f"/analytics/reports/{report_id}")
    added = client.post(f"/analytics/reports/{report_id}/dashboard",
                        data={"csrf_token": token, "dashboard_id": str(dashboard_id)})
    assert added.status_code == 302
    with analytics_app.app_context():
        session = analytics_app.extensions["crm_db"].new_session()
        assert dashboard_report_ids(session, dashboard_id) == [report_id]
        session.close()


def test_a_wrong_measure_is_named_on_the_form(people):
    client = people["manager"]
    answer = client.post("/analytics/reports/new", data={
        **_builder_form(client), "measure": "profit", "action": "save"})
    assert answer.status_code == 422
    assert "is-invalid" in answer.get_data(as_text=True)


def test_a_report_whose_source_plugin_is_off_opens_with_a_notice(analytics_app, people):
    from plugins.analytics.reports.models import SavedReport

    client = people["manager"]
    with analytics_app.app_context():
        session = analytics_app.extensions["crm_db"].new_session()
        report = SavedReport(title="积分报表", source="loyalty.points", measure="count",
                             dimensions=["month"], filters={}, period="all", chart="bar",
                             owner_id=client.user.id)
        session.add(report)
        session.commit()
        report_id = report.id
        session.close()
    page = client.get(f"/analytics/reports/{report_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "loyalty" in html and "alert-info" in html
    assert client.get(f"/analytics/reports/{report_id}/edit").status_code == 200
    assert client.get(f"/analytics/reports/{report_id}/export?format=xlsx").status_code == 200
