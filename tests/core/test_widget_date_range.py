"""A report widget may declare ``date_range``: the widget API then passes a dashboard's
``date_from``/``date_to`` to its data function and says the figures are filtered; any other
widget is called as before and answers ``"date_filtered": false``."""

from __future__ import annotations

from crm_core.testing import create_test_user, login

DATED_PLUGIN = """
    from crm_core.toolkit import PluginInfo, ReportWidget, hookimpl

    PLUGIN = PluginInfo(name="dated", version="0.1", title="Dated")


    def _days(date_from=None, date_to=None):
        return {"value": f"{date_from}..{date_to}"}


    @hookimpl
    def crm_report_widgets():
        return [ReportWidget(id="dated.range", title="Ranged", kind="number", data=_days,
                             date_range=True),
                ReportWidget(id="dated.plain", title="Plain", kind="number",
                             data=lambda: {"value": 7})]
"""


def test_a_widget_with_a_date_range_gets_the_dates_and_others_ignore_them(
        crm_install_plugin, crm_make_app):
    crm_install_plugin("dated", DATED_PLUGIN)
    app = crm_make_app(plugins=["dated"])
    client = login(app.test_client(), create_test_user(app, "root", superuser=True))

    ranged = client.get("/api/v1/widgets/dated.range?date_from=2026-01-01&date_to=2026-01-31")
    assert ranged.get_json()["data"] == {"value": "2026-01-01..2026-01-31"}
    assert ranged.get_json()["date_filtered"] is True
    unasked = client.get("/api/v1/widgets/dated.range").get_json()
    assert unasked["data"] == {"value": "None..None"} and unasked["date_filtered"] is False

    plain = client.get("/api/v1/widgets/dated.plain?date_from=2026-01-01&_=1").get_json()
    assert plain["data"] == {"value": 7} and plain["date_filtered"] is False

    bad = client.get("/api/v1/widgets/dated.range?date_from=2026-13-45")
    assert bad.status_code == 422 and "date_from" in bad.get_json()["errors"]
