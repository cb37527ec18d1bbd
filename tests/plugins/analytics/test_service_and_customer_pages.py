"""The service and customer analysis pages: their charts with the figures the API gives,
drill-down links into service's and customers' lists, CSV, and the pages' notice when the
plugin behind them is not enabled."""

from __future__ import annotations

import csv
import io

from crm_core.testing_clients import client_as


def test_the_service_page_shows_tickets_and_first_response_per_month(analytics_app, world):
    admin = client_as(analytics_app, superuser=True)
    html = admin.get("/analytics/service?date_from=2026-01-01&date_to=2026-02-28") \
        .get_data(as_text=True)
    for chart in ("month", "response", "priority", "type", "owner"):
        assert f'id="chart-{chart}-title"' in html
    assert "1.13" in html and "3.33" in html  # hours of first response, as the API says
    assert "/service/tickets?priority=high" in html
    assert f"/service/tickets?assignee_id={world['users']['a1'].id}" in html


def test_the_customer_page_counts_new_customers_per_region_with_a_csv(analytics_app, world):
    admin = client_as(analytics_app, superuser=True)
    html = admin.get("/analytics/customers").get_data(as_text=True)
    assert 'id="chart-region-title"' in html
    assert "/customers/?province=%E4%B8%8A%E6%B5%B7%E5%B8%82" in html  # 上海市
    response = admin.get("/analytics/export?page=customers&chart=industry")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    figures = {row[0]: row[1] for row in rows[1:]}
    assert int(figures["制造业"]) >= 2 and int(figures["零售"]) >= 1


def test_a_page_whose_plugin_is_disabled_says_so(tmp_path):
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    app = create_app(test_config(tmp_path, f"sqlite:///{tmp_path / 'crm.sqlite'}",
                                 ["customers", "analytics"]))
    with app.app_context():
        upgrade(app)
    admin = client_as(app, superuser=True)
    page = admin.get("/analytics/sales")
    assert page.status_code == 200
    assert "needs a plugin that is not enabled" in page.get_data(as_text=True)
    assert admin.get("/analytics/customers").status_code == 200
    sources = admin.get("/api/v1/analytics/sources").get_json()["items"]
    assert [source["id"] for source in sources] == ["customers.customers"]
    app.extensions["crm_db"].engine.dispose()
