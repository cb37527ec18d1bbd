"""The forecast page and the sales widgets: the right figures per category, month, owner
and department, and a rep never sees another department's amounts."""

from __future__ import annotations

import datetime as dt

import pytest
from sales_s5_world import client_of, make_world, sell

from crm_core.testing import DATABASES


@pytest.fixture(scope="module", params=DATABASES)
def world(request, tmp_path_factory):
    """An app with customers and sales, the S5 world and its sales, on SQLite and on
    PostgreSQL (when ``CRM_TEST_DATABASE_URL`` names a server)."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import FreshDatabases, test_config

    instance = tmp_path_factory.mktemp("sales-forecast")
    databases = FreshDatabases(instance)
    app = create_app(test_config(instance, databases.new(request.param),
                                 ["customers", "sales"]))
    with app.app_context():
        upgrade(app)
    world = make_world(app)
    sell(world)
    yield world
    app.extensions["crm_db"].engine.dispose()
    databases.drop_all()


def test_a_reps_forecast_adds_up_by_category(world):
    from crm_core.toolkit import get_session
    from plugins.sales.forecast.services import forecast

    with world.app.test_request_context():
        result = forecast(get_session(), world.users["rep_west"].id, dt.date.today(), 3)
    month = result.months[0]
    figures = result.by_month[month]
    assert figures.commit == 10_000_100
    assert figures.best_case == 10_000_100 + 5_000_100
    assert figures.pipeline == 10_000_100 + 5_000_100 + 3_000_100  # omitted left out
    assert figures.weighted == (10_000_100 * 80 + 5_000_100 * 60 + 3_000_100 * 20) // 100
    assert figures.won == 4_000_100
    assert figures.target == 30_000_100
    assert figures.gap == 30_000_100 - 4_000_100
    assert set(result.by_owner) == {world.users["rep_west"].id}
    assert result.by_month[result.months[1]].pipeline == 0


def test_the_forecast_page_shows_the_readers_numbers_only(world):
    rep = client_of(world, "rep_west")
    page = rep.get("/sales/forecast")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "¥100,001.00" in html and "¥40,001.00" in html and "¥300,001.00" in html
    assert "7.00" not in html  # nothing of East's
    assert 'id="sales-forecast-chart"' in html and "forecast.js" in html

    admin = client_of(world, "admin").get("/sales/forecast?months=3")
    text = admin.get_data(as_text=True)
    assert "¥100,001.00" in text and "¥100,007.00" in text
    assert "West" in text and "East" in text  # the department table


def test_the_forecast_page_refuses_a_bad_range_and_shows_the_default(world):
    rep = client_of(world, "rep_west")
    answer = rep.get("/sales/forecast?start=not-a-month&months=99")
    assert answer.status_code == 400
    assert "¥100,001.00" in answer.get_data(as_text=True)


def test_the_forecast_needs_its_permission(world):
    from crm_core.testing_clients import client_as

    outsider = client_as(world.app, "service")
    assert outsider.get("/sales/forecast").status_code == 403


WIDGETS = ("sales.funnel", "sales.revenue", "sales.win_rate", "sales.top_products",
           "sales.forecast", "sales.receivables_ageing")


def _values(answer):
    data = answer.get_json()["data"]
    series = data.get("series") or [{"values": data.get("values", [])}]
    return [value for item in series for value in item["values"]]


@pytest.mark.parametrize("widget", WIDGETS)
def test_a_reps_widgets_never_include_another_departments_amounts(world, widget):
    rep = client_of(world, "rep_west")
    answer = rep.get(f"/api/v1/widgets/{widget}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    values = _values(answer)
    assert any(values), widget  # the rep's own numbers are there
    # East's amounts end in 7 yuan: none may show up, alone or summed with West's
    for value in values:
        assert round(value) % 10 in (0, 1, 2, 3, 4) or widget == "sales.win_rate", \
            (widget, values)

    admin = client_of(world, "admin").get(f"/api/v1/widgets/{widget}")
    assert sum(_values(admin)) >= sum(values)


def test_the_widgets_show_the_right_figures(world):
    rep = client_of(world, "rep_west")
    funnel = rep.get("/api/v1/widgets/sales.funnel").get_json()["data"]
    assert funnel["labels"][0].endswith("(3)")  # commit, pipeline and omitted deals
    assert funnel["values"][0] == 100_001 + 30_001 + 9_001
    rate = rep.get("/api/v1/widgets/sales.win_rate").get_json()["data"]
    assert rate["values"][-1] == 50.0  # one won, one lost this month
    ageing = rep.get("/api/v1/widgets/sales.receivables_ageing").get_json()["data"]
    assert ageing["values"] == [0, 0, 60_001, 0, 0]  # 45 days overdue
    top = rep.get("/api/v1/widgets/sales.top_products").get_json()["data"]
    assert top == {"labels": ["产品0"], "values": [20_001]}
    revenue = rep.get("/api/v1/widgets/sales.revenue").get_json()["data"]
    assert revenue["series"][0]["values"][-1] == 22_601.13  # with 13 % VAT

    manager = client_of(world, "manager_west")
    top = manager.get("/api/v1/widgets/sales.top_products").get_json()["data"]
    assert top == {"labels": ["产品0"], "values": [20_001]}  # the department's, not East's
