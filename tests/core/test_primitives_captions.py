"""Widget captions: the line under a dashboard widget's title. The customers' charts say when
their counts were last refreshed ("as of 09:20" in the reader's zone); a widget may also carry
a fixed caption."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from crm_core.db import get_session
from crm_core.registry import ReportWidget
from crm_core.ui.widget_captions import split_caption
from plugins.customers.classification import services as classification

pytestmark = pytest.mark.crm_plugins("customers")


def test_customer_widgets_say_when_the_counts_were_refreshed_in_the_readers_zone(
        crm_app, admin_client):
    empty = admin_client.get("/api/v1/widgets/customers.by_industry").get_json()
    assert empty["caption"] is None  # never refreshed: no "as of"
    with crm_app.app_context():
        session = get_session()
        classification.refresh_stats(session)
        session.commit()
        refreshed = classification.last_refreshed(session)
    body = admin_client.get("/api/v1/widgets/customers.by_industry").get_json()
    zone = zoneinfo.ZoneInfo(crm_app.config.get("CRM_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    local = refreshed.astimezone(zone)
    today = dt.datetime.now(dt.UTC).astimezone(zone).date()
    shown = local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")
    assert body["caption"] == f"as of {shown}"
    assert dt.datetime.fromisoformat(body["as_of"]) == refreshed
    assert "as_of" not in body["data"]  # the chart draws labels and values only


def test_an_older_time_shows_its_date_and_a_fixed_caption_shows_as_given(crm_app):
    stale = ReportWidget(id="x.y", title="T", kind="number", data=dict)
    fixed = ReportWidget(id="x.z", title="T", kind="number", data=dict, caption="Last 30 days")
    with crm_app.test_request_context():
        data, caption, as_of = split_caption(stale, {"value": 3,
                                                     "as_of": "2020-01-02T03:04:00+00:00"})
        assert data == {"value": 3} and as_of == "2020-01-02T03:04:00+00:00"
        assert caption is not None and caption.startswith("as of 2020-01-0")
        assert split_caption(fixed, {"value": 3}) == ({"value": 3}, "Last 30 days", None)
        assert split_caption(stale, {"value": 3, "caption": "Top 10"})[1] == "Top 10"
        assert split_caption(stale, {"value": 3, "as_of": "not a time"})[1] is None


def test_the_dashboard_has_a_caption_line_under_each_title(admin_client):
    page = admin_client.get("/").get_data(as_text=True)
    assert page.count('class="small text-muted m-0 crm-widget-caption"') >= 5
