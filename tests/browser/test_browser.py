"""The web UI in a real browser, on a phone and on a desktop screen.

Serves the real app (``crm serve``: gunicorn) on a free port of 127.0.0.1 against a migrated
temporary instance, then drives Debian's chromium with Playwright as a user would: sign in,
switch to Chinese, open the dashboard with its chart, open the Notes page from the menu, use
the search box and sign out. Any console error, page error, failed request or HTTP error fails
the test. Screenshots go to test-artifacts/screenshots/; with CRM_UPDATE_SCREENSHOTS=1 they are
also copied to docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import (
    DOCS_SCREENSHOTS,
    PASSWORD,
    SCREENSHOTS,
    VIEWPORTS,
    Visit,
    crm_steps,
    environment,
    serving,
)

# One browser at a time (pytest-xdist runs a group in one process): two real servers and
# two chromiums at once on two cores starve each other past the timeouts.
pytestmark = pytest.mark.browser

# A third-party plugin with one widget of each kind (and an empty and a failing one), with its
# own Chinese catalog: the dashboard must draw them all, in the user's language.
CHARTS_PLUGIN = """
    from flask_babel import gettext as _, lazy_gettext as _l
    from crm_core.toolkit import PluginInfo, ReportWidget, hookimpl

    PLUGIN = PluginInfo(name="charts", version="0.1", title="Chart kinds")
    MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


    def revenue():
        return {"labels": MONTHS, "series": [
            {"name": "2025", "values": [120, 132, 101, 134, 190, 230]},
            {"name": "2026", "values": [150, 182, 191, 234, 290, 330]}]}


    def sources():
        return {"labels": [_("Web"), _("Referral"), _("Trade fair"), _("Cold call")],
                "values": [42, 27, 18, 9]}


    def broken():
        raise RuntimeError("the data source is down")


    @hookimpl
    def crm_report_widgets():
        return [
            ReportWidget(id="charts.revenue", title=_l("Revenue by month"), kind="line",
                         order=10, data=revenue),
            ReportWidget(id="charts.sources", title=_l("Customers by source"), kind="pie",
                         order=20, data=sources),
            ReportWidget(id="charts.open", title=_l("Open tickets"), kind="number", order=30,
                         data=lambda: {"value": 1284, "label": _("waiting for an agent")}),
            ReportWidget(id="charts.lost", title=_l("Lost deals"), kind="bar", order=40,
                         data=lambda: {"labels": [], "values": []}),
            ReportWidget(id="charts.broken", title=_l("Stock in the ERP"), kind="bar",
                         order=50, data=broken),
        ]
"""
CHARTS_CATALOG = {
    "Revenue by month": "月度收入", "Customers by source": "客户来源", "Open tickets": "未结工单",
    "Lost deals": "丢单", "Stock in the ERP": "ERP 库存", "Web": "网站", "Referral": "转介绍",
    "Trade fair": "展会", "Cold call": "电话拜访", "waiting for an agent": "等待客服处理",
}
BROKEN_WIDGET = "/api/v1/widgets/charts.broken"
# Which screenshots reviewers find in docs/screenshots (the rest stay in test-artifacts).
DOCS_SHOTS = ("login-zh", "dashboard", "menu", "notes", "search-dropdown", "search", "user-menu")


def _charts_plugin(site: Path) -> None:
    from crm_core.testing import write_plugin_distribution

    po = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=utf-8\\n"', ""]
    for msgid, msgstr in CHARTS_CATALOG.items():
        po += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    write_plugin_distribution(site, "charts", CHARTS_PLUGIN, {
        "translations/zh_CN/LC_MESSAGES/messages.po": "\n".join(po)})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by ``crm serve`` on a migrated instance with an admin and some notes."""
    instance = tmp_path_factory.mktemp("browser-instance")
    site = tmp_path_factory.mktemp("site-packages")
    _charts_plugin(site)
    # The kernel's shell with the example and the charts plugins only (the customers plugin
    # has its own browser test).
    env = environment(instance, site, CRM_PLUGINS="example,charts")
    from crm_core import i18n_catalogs

    i18n_catalogs.compile_all([i18n_catalogs.kernel_sources(), *i18n_catalogs.plugin_sources(),
                               i18n_catalogs.Sources("charts", site / "charts_plugin")])
    # demo notes: 5 about "ACME Ltd.", 5 in Chinese...
    crm_steps(env, ["db", "upgrade"], ["users", "ensure-admin"], ["seed", "--size", "20"])

    with serving(env, instance) as base:
        yield base


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_sign_in_switch_to_chinese_open_dashboard_menu_page_and_search(server, browser, screen):
    context = browser.new_context(locale="en-US", **VIEWPORTS[screen])
    page = context.new_page()
    page.set_default_timeout(45_000)
    visit = Visit(page, server, screen, BROKEN_WIDGET)
    try:
        _walk_through(visit, server, screen)
    finally:
        context.close()
    assert visit.problems == [], "\n".join(visit.problems)
    if os.environ.get("CRM_UPDATE_SCREENSHOTS") != "1":
        return  # docs/screenshots change only when asked, so a test run leaves the tree clean
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in DOCS_SHOTS:
        shutil.copyfile(SCREENSHOTS / f"{screen}-{name}.png",
                        DOCS_SCREENSHOTS / f"{screen}-{name}.png")


def _walk_through(visit: Visit, base: str, screen: str) -> None:
    page = visit.page
    phone = screen == "phone"

    # Signed out: the browser's language (English); the switch works before signing in.
    page.goto(base + "/login")
    assert page.locator("h1").inner_text() == "Sign in"
    assert page.locator("html").get_attribute("lang") == "en"
    visit.check_page()
    visit.shot("login-en")
    visit.switch_language("简体中文")
    assert page.locator("h1").inner_text() == "登录"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    visit.shot("login-zh")

    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.url == base + "/"

    # The switch persists on the user: to English and back to Chinese.
    visit.switch_language("English")
    assert page.locator("main h1").inner_text() == "Dashboard"
    visit.switch_language("简体中文")
    assert page.locator("main h1").inner_text() == "仪表盘"
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    # The dashboard draws every widget (ECharts renders into a canvas), in Chinese, with the
    # empty and error states where there is no data or the data cannot be had.
    def widget(widget_id: str) -> Any:
        return page.locator(f'.crm-chart[data-widget-url="/api/v1/widgets/{widget_id}"]')

    for widget_id in ("example.notes_per_day", "charts.revenue", "charts.sources"):
        widget(widget_id).locator("canvas").first.wait_for(state="visible")
        assert widget(widget_id).get_attribute("aria-busy") == "false"
        box = widget(widget_id).bounding_box()
        assert box and box["width"] > 250 and box["height"] > 200, (widget_id, box)
    assert widget("charts.open").locator(".crm-number-value").inner_text() == "1,284"
    assert widget("charts.open").locator(".crm-number-label").inner_text() == "等待客服处理"
    assert widget("charts.lost").locator(".crm-chart-empty").inner_text() == "暂无数据。"
    widget("charts.broken").locator(".crm-chart-error button").wait_for(state="visible")
    assert "无法加载此报表。" in widget("charts.broken").inner_text()
    titles = page.locator(".crm-widget h2").all_inner_texts()
    assert titles == ["月度收入", "客户来源", "未结工单", "丢单", "ERP 库存", "每日笔记"]
    visit.check_page()
    visit.shot("dashboard")

    # The sidebar: an offcanvas opened by its button on a phone, always there on a desktop.
    sidebar = page.locator("#sidebar")
    if phone:
        assert not sidebar.is_visible()
        page.get_by_role("button", name="打开菜单").click()
        page.locator("#sidebar.show").wait_for(state="visible")
        page.wait_for_timeout(400)  # the slide-in animation
        visit.shot("menu", full_page=False)
    else:
        assert sidebar.is_visible()
        visit.shot("menu", full_page=False)
        # The sidebar collapses to an icon rail, and stays so on the next page.
        page.get_by_role("button", name="收起菜单").click()
        page.wait_for_timeout(300)  # the width transition
        assert page.locator(".crm-sidebar").bounding_box()["width"] < 80
        page.reload()
        assert page.locator(".crm-sidebar").bounding_box()["width"] < 80
        visit.shot("menu-collapsed", full_page=False)
        page.get_by_role("button", name="展开菜单").click()
        page.wait_for_timeout(300)  # the width transition
        assert page.locator(".crm-sidebar").bounding_box()["width"] > 200
    with page.expect_navigation():
        sidebar.get_by_role("link", name="笔记").click()
    page.wait_for_load_state("networkidle")
    assert page.url == base + "/example/notes"
    assert page.locator("main h1").inner_text() == "笔记"
    assert page.get_by_text("回访 上海华信贸易有限公司").first.is_visible()
    visit.check_page()
    visit.shot("notes")

    # The search box: a dropdown of the top hits as you type, Enter opens all results.
    search = page.locator("#crm-search-input")
    search.click()
    search.fill("ACME")
    page.locator("#crm-search-suggest.show .crm-suggest-item").first.wait_for(state="visible")
    assert page.locator("#crm-search-suggest .crm-suggest-item").count() == 5
    assert search.get_attribute("aria-expanded") == "true"
    search.press("ArrowDown")
    assert search.get_attribute("aria-activedescendant")
    visit.shot("search-dropdown", full_page=False)
    search.press("Escape")
    assert search.get_attribute("aria-expanded") == "false"
    with page.expect_navigation():
        search.press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.url == base + "/search?q=ACME"
    assert page.locator("main .list-group-item").count() == 5
    visit.check_page()
    visit.shot("search")

    # The user menu signs out (a POST form) back to the sign-in page, still in Chinese.
    page.locator(".crm-user-toggle").click()
    page.get_by_role("button", name="退出登录").wait_for(state="visible")
    visit.shot("user-menu", full_page=False)
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("main h1").inner_text() == "登录"
