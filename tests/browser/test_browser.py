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
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PASSWORD = "browser-test-Pw-2468"
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1366, "height": 768}},
}
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _charts_plugin(site: Path) -> None:
    from crm_core.testing import write_plugin_distribution

    po = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=utf-8\\n"', ""]
    for msgid, msgstr in CHARTS_CATALOG.items():
        po += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    write_plugin_distribution(site, "charts", CHARTS_PLUGIN, {
        "translations/zh_CN/LC_MESSAGES/messages.po": "\n".join(po)})


def _crm(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "crm_core.cli", *args], check=False, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"crm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by ``crm serve`` on a migrated instance with an admin and some notes."""
    instance = tmp_path_factory.mktemp("browser-instance")
    site = tmp_path_factory.mktemp("site-packages")
    _charts_plugin(site)
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env.update({"CRM_INSTANCE_PATH": str(instance), "CRM_ADMIN_PASSWORD": PASSWORD,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(site),
                                                             env.get("PYTHONPATH")])),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    from crm_core import i18n_catalogs

    i18n_catalogs.compile_all([i18n_catalogs.kernel_sources(), *i18n_catalogs.plugin_sources(),
                               i18n_catalogs.Sources("charts", site / "charts_plugin")])
    _crm(env, "db", "upgrade")
    _crm(env, "users", "ensure-admin")
    _crm(env, "seed", "--size", "20")  # demo notes: 5 about "ACME Ltd.", 5 in Chinese...

    port = _free_port()
    log_path = instance / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "crm_core.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--workers", "2"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with opener.open(base + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:  # not listening or not answering yet (URLError is one too)
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium under Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install chromium` "
                    "(`make test` does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


class Visit:
    """One browser page that records every problem and saves named screenshots."""

    def __init__(self, page: Any, base: str, screen: str) -> None:
        self.page, self.base, self.screen = page, base, screen
        self.problems: list[str] = []
        self.shots: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(
            f"request failed: {request.method} {request.url} ({request.failure})"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error" and BROKEN_WIDGET not in message.location.get("url", ""):
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not response.url.endswith(BROKEN_WIDGET):
            self.problems.append(f"HTTP {response.status}: {response.request.method} "
                                 f"{response.url}")

    def shot(self, name: str, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.screen}-{name}.png"),
                             full_page=full_page)
        self.shots.append(name)

    def check_page(self) -> None:
        """What every page must be: no inline scripts or handlers, nothing sticking out."""
        inline = self.page.evaluate("""() => {
            const scripts = [...document.querySelectorAll('script:not([src])')]
              .filter(s => !s.type || s.type.includes('javascript')).length;
            const handlers = [...document.querySelectorAll('*')]
              .filter(el => [...el.attributes].some(a => a.name.startsWith('on'))).length;
            return {scripts, handlers};
        }""")
        assert inline == {"scripts": 0, "handlers": 0}, f"inline JavaScript on {self.page.url}"
        overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{self.page.url} is {overflow}px wider than the {self.screen}"

    def switch_language(self, name: str) -> None:
        self.page.locator(".crm-lang-toggle").first.click()
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=name, exact=True).click()
        self.page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_sign_in_switch_to_chinese_open_dashboard_menu_page_and_search(server, browser, screen):
    context = browser.new_context(locale="en-US", **VIEWPORTS[screen])
    page = context.new_page()
    page.set_default_timeout(15_000)
    visit = Visit(page, server, screen)
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
