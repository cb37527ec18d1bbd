"""A dashboard in a real browser: the administrator creates "my dashboard", adds three
widgets a third wide each (one row on a desktop), drags the last tile to the front with
SortableJS, widens a tile with its select and moves one with the keyboard (its Move up
button): every change is still there after a reload. On a phone (390 px) the tiles stand in
one column, each the screen's width, and nothing scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import PASSWORD, Visit, seeded_customers, serving

pytestmark = pytest.mark.browser

SCREENS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1440, "height": 900}},
}
WIDGETS = ("customers.by_industry", "sales.revenue", "service.backlog_age")
TILES = """() => [...document.querySelectorAll('.an-tile')].map(tile => {
  const box = tile.getBoundingClientRect();
  return {id: tile.dataset.tileId, width: Math.round(box.width), top: Math.round(box.top),
          left: Math.round(box.left), ref: tile.dataset.ref};
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with customers, sales, service and analytics and 20 demo customers."""
    instance = tmp_path_factory.mktemp("analytics-dashboard-browser")
    env = seeded_customers(instance, plugins="customers,sales,service,analytics", customers=20)
    with serving(env, instance) as base:
        yield base


def _visit(browser: Any, server: str, screen: str) -> tuple[Any, Visit]:
    context = browser.new_context(locale="en-US", **SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page, server, f"analytics-dashboard-{screen}")
    page.goto(server + "/login")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    return context, visit


def _order(page: Any) -> list[str]:
    return [tile["ref"].split(":", 1)[1] for tile in page.evaluate(TILES)]


def _loaded(page: Any) -> None:
    page.wait_for_function("() => [...document.querySelectorAll('.an-tile .crm-chart')].every("
                           "el => el.getAttribute('aria-busy') === 'false')")


def test_on_a_desktop_tiles_are_arranged_by_drag_select_and_keyboard(server, browser):
    context, visit = _visit(browser, server, "desktop")
    page = visit.page
    try:
        page.goto(server + "/analytics/dashboard")
        with page.expect_navigation():
            page.get_by_role("button", name="Create my dashboard").click()
        page.locator(".crm-empty", has_text="no tiles yet").wait_for()
        for widget in WIDGETS:
            page.locator("select[name=tile]").select_option(f"widget:{widget}")
            page.locator("select#width").select_option("4")
            with page.expect_navigation():
                page.get_by_role("button", name="Add", exact=True).click()
        _loaded(page)
        visit.check_page()
        tiles = page.evaluate(TILES)
        assert _order(page) == list(WIDGETS)
        assert len({tile["top"] for tile in tiles}) == 1, f"one row of thirds: {tiles}"
        assert page.locator(".crm-widget-caption", has_text=re.compile("as of")).count() == 3
        visit.shot("thirds")

        # drag the last tile by its handle to the front
        page.locator(".an-tile").nth(2).locator(".an-drag").drag_to(
            page.locator(".an-tile").nth(0), target_position={"x": 20, "y": 20})
        page.locator("#an-status", has_text="Layout saved.").wait_for()
        dragged = [WIDGETS[2], WIDGETS[0], WIDGETS[1]]
        assert _order(page) == dragged

        # the width select applies at once; the keyboard's Move up button moves a tile
        page.locator(".an-tile").nth(1).locator("select[data-size=width]").select_option("12")
        page.wait_for_function("() => document.querySelectorAll('.an-w-12').length === 1")
        page.locator("#an-status", has_text="Layout saved.").wait_for()
        page.wait_for_timeout(300)
        page.reload()
        _loaded(page)
        assert _order(page) == dragged
        assert page.locator(".an-tile.an-w-12").count() == 1
        up = page.locator(".an-tile").nth(2).get_by_role("button", name=re.compile("^Move up"))
        up.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        _loaded(page)
        assert _order(page) == [WIDGETS[2], WIDGETS[1], WIDGETS[0]]
        visit.shot("arranged")
        assert not visit.problems, visit.problems
    finally:
        context.close()


def test_on_a_phone_the_tiles_stand_in_one_column(server, browser):
    context, visit = _visit(browser, server, "phone")
    page = visit.page
    try:
        page.goto(server + "/analytics/dashboard")
        page.wait_for_load_state("networkidle")
        _loaded(page)
        tiles = page.evaluate(TILES)
        assert len(tiles) == 3, tiles
        assert len({tile["top"] for tile in tiles}) == 3, f"one column: {tiles}"
        assert len({tile["left"] for tile in tiles}) == 1 and all(
            tile["width"] >= 330 for tile in tiles), tiles
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        visit.shot("phone")
        assert not visit.problems, visit.problems
    finally:
        context.close()
