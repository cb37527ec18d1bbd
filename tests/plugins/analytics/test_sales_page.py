"""The sales analysis page as a manager and a rep see it: the month, owner, department and
product figures for a date range beside the previous period, drill-down links to sales'
list, the CSV of a chart, and a rep's page holding only their own revenue."""

from __future__ import annotations

import csv
import io

from crm_core.testing_clients import client_as

RANGE = "date_from=2026-02-01&date_to=2026-02-28"  # previous period: 2026-01-04 .. 2026-01-31


def test_the_page_shows_each_chart_with_its_previous_period(analytics_app, world):
    manager = client_as(analytics_app, "manager", department="分析 A部")
    page = manager.get(f"/analytics/sales?{RANGE}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for chart in ("month", "owner", "department", "product"):
        assert f'id="chart-{chart}-title"' in html
        assert f"page=sales&amp;chart={chart}" in html
    # February in department A: a1's desks 2 × 3333.33 + 13 % and a2's chairs 7 × 1299.00 +
    # 13 %; January before it: a1's 3 chairs + a desk, and a chair
    assert "7533.33" in html and "10275.09" in html
    a1 = world["users"]["a1"].id
    assert f'href="/sales/orders?owner_id={a1}"' in html
    assert "vendor/echarts/echarts.min.js" in html and "cdn" not in html.lower()


def test_a_chart_exports_as_csv_with_the_previous_period(analytics_app, world):
    manager = client_as(analytics_app, "manager", department="分析 A部")
    response = manager.get(f"/analytics/export?page=sales&chart=product&{RANGE}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    figures = {row[0]: row[1:] for row in rows[1:]}
    assert figures["人体工学椅"][0] == "10275.09"
    assert figures["升降桌"][0] == "7533.33"
    assert manager.get("/analytics/export?page=sales&chart=nothing").status_code == 404
    xlsx = manager.get(f"/analytics/export?page=sales&chart=product&format=xlsx&{RANGE}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_a_reps_page_holds_only_their_own_revenue(analytics_app, world):
    rep = client_as(analytics_app, "sales", department="分析 A部")
    html = rep.get(f"/analytics/sales?{RANGE}").get_data(as_text=True)
    assert "10275.09" not in html and "7533.33" not in html
    assert "Total ¥0.00" in html
    bad = rep.get("/analytics/sales?date_from=yesterday")
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.get_data(as_text=True)


def test_a_region_filter_narrows_the_charts_that_have_regions(analytics_app, world):
    manager = client_as(analytics_app, "manager", department="分析 A部")
    html = manager.get(f"/analytics/sales?{RANGE}&region=浙江省").get_data(as_text=True)
    assert "Total ¥10275.09" in html  # a2's Zhejiang customer only
    assert "Not filtered by: Region" in html  # the product pie: lines have no region
    assert "region=%E6%B5%99%E6%B1%9F%E7%9C%81" in html  # kept in the CSV and XLSX links
    response = manager.get(f"/analytics/export?page=sales&chart=owner&region=浙江省&{RANGE}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(row[0], row[1]) for row in rows[1:]] == \
        [(world["users"]["a2"].username, "10275.09")]
