"""The dashboard and the operation log on a 1440×900 desktop, in Chinese, in a real browser.

The dashboard's cards keep their own heights (an empty card is a short note, not a box as tall
as the longest card of its row); the pies' legends show every name whole inside the chart and
the pies' labels are shown, none cut short. The operation log's table fits the screen when a
customer was given long values (a URL, an address, a long code): they wrap in their cell, and a
value cut short keeps its whole text in its title. Screenshots go to test-artifacts/screenshots/
(layout-*).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import PASSWORD, Visit, seeded_customers, serving

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
WEBSITE = "https://www.example.com/" + "quarterly-report-download-" * 6 + "final"
# Long values on the first customer (the log keeps them), and no example notes at all: the
# "Notes per day" widget is empty.
PREPARE = f"""
from sqlalchemy import delete, select
from crm_core import create_app
from crm_core.db import get_session
from crm_plugin_example.models import Note
from plugins.customers.models import Customer

app = create_app()
with app.app_context():
    session = get_session()
    session.execute(delete(Note))
    session.commit()
    customer = session.scalars(select(Customer).order_by(Customer.id)).first()
    customer.website = {WEBSITE!r}
    customer.address = "上海市浦东新区" + "张江高科技园区碧波路" * 12
    customer.notes = "Ref:" + "0123456789ABCDEF" * 16
    session.commit()
    print(customer.id)
"""
# Every text ECharts drew for a chart: whether it belongs to the legend, whether a clip path
# (a scrolling legend's window) cuts it, and its box in the chart's pixels.
CHART_TEXTS = """(el) => {
  const chart = echarts.getInstanceByDom(el);
  const option = chart.getOption();
  const texts = chart.getZr().storage.getDisplayList(true)
    .filter(d => d.style && typeof d.style.text === "string" && !d.ignore && !d.invisible)
    .map(d => {
      let legend = false, clipped = false;
      for (let p = d; p; p = p.parent) {
        if (p.__ecComponentInfo && p.__ecComponentInfo.mainType === "legend") { legend = true; }
        if (p.getClipPath && p.getClipPath()) { clipped = true; }
      }
      const r = d.getBoundingRect().clone();
      r.applyTransform(d.getComputedTransform());
      return {text: d.style.text, legend, clipped, x: r.x, y: r.y, w: r.width, h: r.height};
    });
  return {width: el.clientWidth, height: el.clientHeight, legendType: option.legend[0].type,
          names: option.series[0].data.map(d => d.name), texts};
}"""
CARDS = """() => [...document.querySelectorAll('.crm-widget')].map(card => {
  const chart = card.querySelector('.crm-chart');
  const box = card.getBoundingClientRect();
  const state = chart.querySelector('.crm-chart-empty') ? 'empty'
    : chart.querySelector('canvas') ? 'chart' : chart.querySelector('.list-group') ? 'list' : '';
  return {url: chart.dataset.widgetUrl, state, top: Math.round(box.top),
          height: Math.round(box.height)};
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The app with the customers and example plugins, demo data, long values on a customer
    and no notes; yields the base URL and that customer's id."""
    instance = tmp_path_factory.mktemp("layout-browser")
    env = seeded_customers(instance, "customers,example")
    done = subprocess.run([sys.executable, "-c", PREPARE], env=env, check=False,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with serving(env, instance) as base:
        yield base, int(done.stdout.split()[-1])


@pytest.fixture
def visit(server: tuple[str, int], browser: Any) -> Iterator[Visit]:
    """A signed-in administrator's page at 1440×900, in Chinese."""
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    page.set_default_timeout(45_000)
    visit = Visit(page, server[0], "layout")
    try:
        page.goto(visit.base + "/login")
        page.locator("input[name=username]").fill("admin")
        page.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        if page.locator("html").get_attribute("lang") != "zh-CN":
            visit.switch_language("简体中文")
        yield visit
    finally:
        context.close()
    assert visit.problems == [], "\n".join(visit.problems)


def _inside(text: dict[str, Any], width: int, height: int) -> bool:
    return (text["x"] >= -1 and text["y"] >= -1 and text["x"] + text["w"] <= width + 1
            and text["y"] + text["h"] <= height + 1)


def test_dashboard_cards_keep_their_own_heights_and_pies_show_whole_names(visit: Visit):
    page = visit.page
    page.goto(visit.base + "/")
    page.wait_for_function("() => [...document.querySelectorAll('.crm-chart')].every("
                           "el => el.getAttribute('aria-busy') === 'false')")
    page.wait_for_timeout(1500)  # the charts' entry animation: labels in their final places
    visit.check_page()
    visit.shot("dashboard-1440")
    cards = page.evaluate(CARDS)
    by_url = {card["url"].rsplit("/", 1)[-1]: card for card in cards}

    # The empty widget is a short note; its neighbours in the row are as tall as their charts.
    empty = by_url["example.notes_per_day"]
    assert empty["state"] == "empty", cards
    row = [card for card in cards if abs(card["top"] - empty["top"]) <= 2]
    assert len(row) == 3, f"three cards a row at 1440 px: {cards}"
    charts = [card for card in row if card["state"] in ("chart", "list")]
    assert charts, cards
    assert empty["height"] < 200, f"the empty card is {empty['height']}px tall"
    assert all(card["height"] > empty["height"] + 120 for card in charts), row
    assert len({card["height"] for card in row}) > 1, f"every card in a row as tall: {row}"

    # Pies: every legend name whole, inside the chart, not behind a scrolling window; labels
    # beside the pie show their names uncut.
    pies = page.locator(".crm-chart-pie:has(canvas)")
    assert pies.count() >= 1, cards
    for index in range(pies.count()):
        drawn = pies.nth(index).evaluate(CHART_TEXTS)
        width, height, names = drawn["width"], drawn["height"], drawn["names"]
        legend = [text for text in drawn["texts"] if text["legend"]]
        assert drawn["legendType"] != "scroll", "a scrolling legend hides and cuts names"
        assert sorted(text["text"] for text in legend) == sorted(names), drawn
        cut = [text for text in legend if text["clipped"] or not _inside(text, width, height)]
        assert cut == [], f"legend names outside the {width}×{height} chart: {cut}"
        labels = [text for text in drawn["texts"] if not text["legend"]]
        named = [text for text in labels if text["text"] in names]
        assert len(named) >= (len(names) + 1) // 2, f"the pie's labels are hidden: {drawn}"
        shortened = [text["text"] for text in labels
                     if text["text"].endswith(("...", "…")) or not _inside(text, width, height)]
        assert shortened == [], f"labels cut short or outside the chart: {shortened}"


def test_the_operation_log_and_a_record_history_fit_1440_px(visit: Visit,
                                                            server: tuple[str, int]):
    page = visit.page
    page.goto(visit.base + "/audit")
    page.wait_for_load_state("networkidle")
    visit.check_page()
    visit.shot("audit-1440")
    table = page.locator(".table-responsive:has(table.crm-audit-log)")
    widths = table.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert widths[0] <= widths[1] + 1, f"the log's table is {widths[0] - widths[1]}px too wide"
    # a value cut short in its cell keeps its whole text in its title
    titled = page.locator(f'table.crm-audit-log .crm-audit-value[title="{WEBSITE}"]')
    assert titled.count() == 1
    assert titled.inner_text().endswith("…")

    page.goto(f"{visit.base}/audit/record/customers_customer/{server[1]}")
    page.wait_for_load_state("networkidle")
    visit.check_page()
    visit.shot("history-1440")
    history = page.locator(".crm-audit-history")
    widths = history.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert widths[0] <= widths[1] + 1
    assert page.locator(f'.crm-audit-history .crm-audit-value[title="{WEBSITE}"]').count() == 1
