"""Dashboards as a user meets them: "My dashboard" offers to create one, the picker adds
widgets and saved reports, tiles show an "as of" caption and follow the date filter (or say
they are not filtered by date), the owner arranges them (JSON layout with a CSRF token, or
the up/down buttons), readers of a shared dashboard see it read only and may copy it, and
someone else's private dashboard answers 404."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from sqlalchemy import select

from crm_core.testing_clients import client_as, csrf_token_of
from crm_core.toolkit import model_for_table


def _role_id(app, name):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        role = model_for_table("core_role")
        found = session.scalar(select(role.id).where(role.name == name))
        session.close()
    return found


def _post(client, url, data, page):
    return client.post(url, data={**data, "csrf_token": csrf_token_of(client, page)})


@pytest.fixture(scope="module")
def people(analytics_app, world):
    return {"manager": client_as(analytics_app, "manager", department="分析 A部"),
            "rep": client_as(analytics_app, "sales", department="分析 A部"),
            "other": client_as(analytics_app, "sales", department="分析 B部")}


@pytest.fixture(scope="module")
def report_id(analytics_app, people):
    from plugins.analytics.reports.service import create_report

    with analytics_app.test_request_context():
        session = analytics_app.extensions["crm_db"].new_session()
        manager = session.merge(people["manager"].user)
        report = create_report(session, manager, {
            "title": "看板收入", "source": "sales.orders", "measure": "sum_total",
            "dimensions": ["month"], "filters": {}, "period": "all", "chart": "bar",
            "shared": False, "role_ids": []})
        session.commit()
        found = report.id
        session.close()
    return found


@pytest.fixture(scope="module")
def board(analytics_app, people, report_id):
    """The manager's first dashboard with a widget and a saved report tile."""
    manager = people["manager"]
    start = manager.get("/analytics/dashboard")
    assert start.status_code == 200 and "Create my dashboard" in start.get_data(as_text=True)
    made = _post(manager, "/analytics/dashboards", {"name": "我的看板"}, "/analytics/dashboard")
    assert made.status_code == 302
    url = made.headers["Location"]
    dashboard_id = int(url.rstrip("/").rsplit("/", 1)[1])
    empty = manager.get(url).get_data(as_text=True)
    assert "This dashboard has no tiles yet." in empty and "Suggestions:" in empty
    assert 'value="widget:sales.revenue"' in empty and f'value="report:{report_id}"' in empty
    for tile in ("widget:sales.revenue", f"report:{report_id}"):
        added = _post(manager, f"{url}/tiles", {"tile": tile, "width": "6", "height": "m"}, url)
        assert added.status_code == 302
    return dashboard_id


def test_my_dashboard_opens_the_default_one_with_its_tiles(people, board):
    manager = people["manager"]
    assert manager.get("/analytics/dashboard").headers["Location"].endswith(
        f"/analytics/dashboards/{board}")
    page = manager.get(f"/analytics/dashboards/{board}").get_data(as_text=True)
    assert "看板收入" in page and 'data-ref="widget:sales.revenue"' in page
    assert "Move up" in page and "Add a tile" in page and "data-confirm" in page
    listing = manager.get("/analytics/dashboards").get_data(as_text=True)
    assert "我的看板" in listing and "Default" in listing


def test_a_report_tile_is_drawn_with_an_as_of_caption_and_follows_the_date_filter(
        people, board):
    manager = people["manager"]
    page = manager.get(f"/analytics/dashboards/{board}?date_from=2026-01-01"
                       "&date_to=2026-01-31").get_data(as_text=True)
    widget_url, url = re.findall(r'data-widget-url="(/analytics/dashboards/[^"]+)"', page)
    assert "date_from=2026-01-01" in url.replace("&amp;", "&")
    assert "not filtered by date" in page  # the sales widget cannot be limited to dates
    january = manager.get(url.replace("&amp;", "&")).get_json()
    assert january["kind"] == "bar" and january["data"]["labels"] == ["2026-01"]
    # "as of" in the reader's time zone (the manager's: the default, Asia/Shanghai)
    moment = dt.datetime.fromisoformat(january["as_of"].replace("Z", "+00:00"))
    local = moment.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    today = dt.datetime.now(dt.UTC).astimezone(local.tzinfo).date()
    shown = local.strftime("%H:%M") if local.date() == today else \
        local.strftime("%Y-%m-%d %H:%M")
    assert january["caption"] == f"as of {shown}"
    widget = manager.get(widget_url.replace("&amp;", "&")).get_json()
    assert widget["caption"] == f"Last 12 months · as of {shown}" or \
        widget["caption"].startswith("Last 12 months · as of ")  # a minute later
    assert widget["date_filtered"] is False and widget["kind"] == "line"
    whole = manager.get(url.split("?")[0]).get_json()
    # the department A manager's figures: B's March order is not theirs
    assert whole["data"]["labels"] == ["2026-01", "2026-02"]
    preset = manager.get(f"/analytics/dashboards/{board}?preset=this_year")
    assert preset.status_code == 200 and 'aria-current="true"' in preset.get_data(as_text=True)


def test_the_layout_is_saved_as_json_with_a_csrf_token_and_odd_input_is_refused(
        analytics_app, people, board):
    manager = people["manager"]
    url = f"/analytics/dashboards/{board}"
    ids = [int(i) for i in re.findall(r'data-tile-id="(\d+)"', manager.get(url).get_data(
        as_text=True))]
    layout = {"tiles": [{"id": ids[1], "width": 12, "height": "l"},
                        {"id": ids[0], "width": 4, "height": "s"}]}
    assert manager.post(f"{url}/layout", json=layout).status_code == 400  # no CSRF token
    token = {"X-CSRFToken": csrf_token_of(manager, url)}
    saved = manager.post(f"{url}/layout", json=layout, headers=token)
    assert saved.status_code == 200 and saved.get_json()["message"] == "Layout saved."
    page = manager.get(url).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'data-tile-id="(\d+)"', page)] == [ids[1], ids[0]]
    assert "an-w-12 an-h-l" in page and "an-w-4 an-h-s" in page
    for bad in ({"tiles": [{"id": ids[0], "width": 5, "height": "s"}]},
                {"tiles": [{"id": 2**40, "width": 4, "height": "s"}]}, {"tiles": "x"}, []):
        refused = manager.post(f"{url}/layout", json=bad, headers=token)
        assert refused.status_code == 422, bad
        assert refused.mimetype == "application/problem+json"
    stale = manager.post(f"{url}/layout", json={"tiles": layout["tiles"][:1]}, headers=token)
    assert stale.status_code == 409
    moved = _post(manager, f"{url}/tiles/{ids[0]}/move", {"direction": "up"}, url)
    assert moved.status_code == 302
    page = manager.get(url).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'data-tile-id="(\d+)"', page)] == ids


def test_a_shared_dashboard_is_read_only_for_its_readers_who_may_copy_it(
        analytics_app, people, board):
    manager, rep, other = people["manager"], people["rep"], people["other"]
    url = f"/analytics/dashboards/{board}"
    assert rep.get(url).status_code == 404  # private so far
    assert rep.get(f"{url}/tiles/1/data").status_code == 404
    shared = _post(manager, f"{url}/share", {"role_ids": [_role_id(analytics_app, "sales")]},
                   url)
    assert shared.status_code == 302
    page = rep.get(url).get_data(as_text=True)
    assert "read only" in page and "Move up" not in page and "Add a tile" not in page
    assert _post(rep, f"{url}/rename", {"name": "改名"}, url).status_code == 403
    assert _post(rep, f"{url}/delete", {}, url).status_code == 403
    copied = _post(rep, f"{url}/copy", {}, url)
    copy_url = copied.headers["Location"]
    mine = rep.get(copy_url).get_data(as_text=True)
    assert "Copy of 我的看板" in mine and "Move up" in mine
    assert other.get(copy_url).status_code == 404  # the copy is the rep's own
    assert _post(manager, f"{url}/share", {}, url).status_code == 302  # private again
    assert rep.get(url).status_code == 404


def test_a_tile_whose_report_is_gone_says_so_and_tiles_and_dashboards_can_be_removed(
        analytics_app, people, board, report_id):
    from plugins.analytics.reports.service import delete_report

    manager = people["manager"]
    made = _post(manager, "/analytics/dashboards", {"name": "临时"}, "/analytics/dashboards")
    url = made.headers["Location"]
    _post(manager, f"{url}/tiles", {"tile": f"report:{report_id}", "width": "4",
                                    "height": "s"}, url)
    with analytics_app.test_request_context():
        session = analytics_app.extensions["crm_db"].new_session()
        delete_report(session, report_id, session.merge(manager.user))
        session.commit()
        session.close()
    page = manager.get(url).get_data(as_text=True)
    assert "This saved report was deleted" in page
    tile_id = re.search(r'data-tile-id="(\d+)"', page).group(1)
    assert _post(manager, f"{url}/tiles/{tile_id}/delete", {}, url).status_code == 302
    assert "This dashboard has no tiles yet." in manager.get(url).get_data(as_text=True)
    renamed = _post(manager, f"{url}/rename", {"name": "改了名"}, url)
    assert renamed.status_code == 302 and "改了名" in manager.get(url).get_data(as_text=True)
    assert _post(manager, f"{url}/delete", {}, url).status_code == 302
    assert manager.get(url).status_code == 404
    assert _post(manager, "/analytics/dashboards", {"name": "x" * 500},
                 "/analytics/dashboards").status_code == 302  # refused with a message


def test_a_widget_that_can_be_limited_to_dates_gets_the_dashboards_dates(analytics_app,
                                                                        people):
    from crm_core.toolkit import ReportWidget

    widgets = analytics_app.extensions["crm"].widgets
    widgets["an.dated"] = ("analytics", ReportWidget(
        id="an.dated", title="Dated", kind="number", date_range=True,
        data=lambda date_from=None, date_to=None: {"value": f"{date_from}/{date_to}"}))
    try:
        rep = people["rep"]
        made = _post(rep, "/analytics/dashboards", {"name": "日期"}, "/analytics/dashboards")
        url = made.headers["Location"]
        _post(rep, f"{url}/tiles", {"tile": "widget:an.dated", "width": "12", "height": "s"},
              url)
        page = rep.get(f"{url}?preset=last_month").get_data(as_text=True)
        assert "not filtered by date" not in page
        data_url = re.search(r'data-widget-url="([^"]*)"', page).group(1).replace("&amp;", "&")
        body = rep.get(data_url).get_json()
        assert body["date_filtered"] is True and body["data"]["value"].count("-") == 4
        assert body["caption"].startswith("as of ")
        assert rep.get(f"/api/v1/widgets/an.dated?{data_url.split('?')[1]}").get_json()[
            "date_filtered"] is True  # the kernel's widget API passes the dates too
    finally:
        del widgets["an.dated"]
