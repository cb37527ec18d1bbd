"""The customer list in a real browser, on a phone (390×844) and a desktop (1440×900).

On the phone: the tags show in each row, the filter panel closes once the filters are
applied, the total arrives after the page ("Customers 1–20 of 60"), the city's
suggestions follow the province, and the Columns menu applies a choice of columns. On the
desktop: a bulk action from the second page comes back to the second page with a message
saying what changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from browsing import PASSWORD, Visit, seeded_customers, serving

pytestmark = pytest.mark.browser

SCREENS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1440, "height": 900}},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the customers plugin, 60 demo customers and their counts."""
    instance = tmp_path_factory.mktemp("customers-list-browser")
    env = seeded_customers(instance)
    with serving(env, instance) as base:
        yield base


def _args(url: str) -> dict[str, list[str]]:
    parts = urlsplit(url)
    return {"path": [parts.path], **parse_qs(parts.query)}


def _visit(browser: Any, server: str, screen: str) -> tuple[Any, Visit]:
    context = browser.new_context(locale="en-US", **SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page, server, screen)
    page.goto(server + "/login")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    return context, visit


def test_on_a_phone_filters_close_after_applying_and_tags_show(server, browser):
    context, visit = _visit(browser, server, "phone")
    page = visit.page
    try:
        page.goto(server + "/customers/?sort=name&order=asc")
        page.wait_for_load_state("networkidle")
        tags = page.locator("#customer-table tbody .crm-list-tags .crm-tag")
        assert tags.count() > 0 and tags.first.is_visible()
        page.locator("#list-total", has_text=re.compile(r"Customers 1–20 of \d+")).wait_for()
        visit.check_page()

        # Choosing a province brings its cities as suggestions for the city.
        page.get_by_role("button", name=re.compile("Filters")).click()
        page.locator("#filters.show").wait_for(state="visible")
        page.locator("select[name=province]").select_option("广东省")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#city-options option')]"
            ".some(option => option.value === '深圳市')")
        level = page.locator("select[name=level] option").nth(1).get_attribute("value")
        page.locator("select[name=province]").select_option("")
        page.locator("select[name=level]").select_option(level)
        with page.expect_navigation():
            page.get_by_role("button", name="Apply filters").click()
        page.wait_for_load_state("networkidle")

        assert f"level={level}" in page.url
        assert not page.locator("#filters").is_visible()  # the list, not the panel
        assert page.locator("#customer-table tbody tr").first.is_visible()
        button = page.get_by_role("button", name=re.compile("Filters"))
        assert button.get_attribute("aria-expanded") == "false" and "1" in button.inner_text()
        visit.check_page()
        visit.shot("customers-list-filtered")
    finally:
        context.close()
    assert visit.problems == [], "\n".join(visit.problems)


def test_a_bulk_action_comes_back_to_the_same_page(server, browser):
    context, visit = _visit(browser, server, "desktop")
    page = visit.page
    try:
        page.goto(server + "/customers/?sort=name&order=asc")
        page.wait_for_load_state("networkidle")
        with page.expect_navigation():
            page.locator("a[rel=next]").first.click()
        page.wait_for_load_state("networkidle")
        second = page.url
        names = page.locator("#customer-table tbody a.fw-semibold").all_inner_texts()
        page.locator("#list-total", has_text="Customers 21–40 of 60").wait_for()

        page.locator("input.row-check").nth(0).check()
        page.locator("input.row-check").nth(1).check()
        page.locator("#bulk-action").select_option("add_tag")
        with page.expect_navigation():
            page.get_by_role("button", name="Continue…").click()
        tag = page.locator("select[name=tag_id] option").nth(1)
        tag_name = tag.inner_text().strip()
        page.locator("select[name=tag_id]").select_option(tag.get_attribute("value"))
        with page.expect_navigation():
            page.get_by_role("button", name="Confirm").click()
        page.wait_for_load_state("networkidle")

        assert _args(page.url) == _args(second)  # the same filters, sort and page
        assert page.locator("#customer-table tbody a.fw-semibold").all_inner_texts() == names
        message = page.locator(".alert", has_text="customers").first.inner_text()
        assert f"Added the tag {tag_name} to" in message
        visit.check_page()
    finally:
        context.close()
    assert visit.problems == [], "\n".join(visit.problems)


def test_on_a_phone_the_columns_menu_applies_a_choice(server, browser):
    context, visit = _visit(browser, server, "phone")
    page = visit.page
    try:
        page.goto(server + "/customers/?sort=name&order=asc&col=name")
        page.wait_for_load_state("networkidle")
        page.get_by_role("button", name=re.compile("Columns")).click()
        menu = page.locator("#columns-menu")
        menu.wait_for(state="visible")
        visit.check_page()  # the open menu fits the phone
        visit.shot("customers-list-columns", full_page=False)
        menu.get_by_label("Industry").check()
        with page.expect_navigation():
            menu.get_by_role("button", name="Apply").click()
        page.wait_for_load_state("networkidle")
        assert _args(page.url)["col"] == ["name", "industry"]
        header = page.locator("#customer-table thead th", has_text="Industry")
        assert header.is_visible() and page.locator("#customer-table thead th").count() == 3
        assert "cols=name,industry" in page.locator("a[rel=next]").first.get_attribute("href")
        visit.check_page()
    finally:
        context.close()
    assert visit.problems == [], "\n".join(visit.problems)
