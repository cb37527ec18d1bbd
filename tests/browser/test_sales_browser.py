"""The sales kanban in a real browser: on a desktop a card is dragged to the next stage and
another is moved with the keyboard (its "Move to" list and the Move button), and the column
headers' counts follow each move; a stage that requires a field asks for it on the card; on
a phone (390 px) the columns scroll sideways inside the board, never the page. A printed quote:
the letterhead typed on the settings page heads it, the total reads 陆拾贰元陆角捌分, and
printed (print media) the menu and buttons are gone and "Save as PDF" gives one A4 page.

One module, one server: each browser module starts its own app (about half a minute)."""

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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with customers and sales, 20 demo customers and 12 opportunities the
    administrator adds through the API (8 in the first stage, 4 in the second)."""
    instance = tmp_path_factory.mktemp("sales-kanban-browser")
    env = seeded_customers(instance, plugins="customers,sales", customers=20)
    with serving(env, instance) as base:
        yield base


def _add_opportunities(page: Any, server: str) -> None:
    """Twelve opportunities through the API, signed in as the page's user."""
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    customers = page.request.get(server + "/api/v1/customers?limit=12", headers=headers)
    ids = [item["id"] for item in customers.json()["items"]]
    for number, customer_id in enumerate(ids[:12]):
        made = page.request.post(server + "/api/v1/sales/opportunities", headers=headers,
                                 data={"name": f"看板商机{number:02d}",
                                       "customer_id": customer_id,
                                       "amount": f"{(number + 1) * 1000}.00",
                                       "stage_id": None})
        assert made.status == 201, made.text()
        if number >= 8:
            moved = page.request.post(
                server + f"/api/v1/sales/opportunities/{made.json()['id']}/stage",
                headers=headers, data={"stage": "需求确认"})
            assert moved.status == 200, moved.text()


def _visit(browser: Any, server: str, screen: str) -> tuple[Any, Visit]:
    context = browser.new_context(locale="en-US", **SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page, server, screen, expected_failure="/stage")
    page.goto(server + "/login")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    return context, visit


def _column(page: Any, name: str) -> Any:
    return page.locator("section.sales-kanban-column", has=page.locator("h2", has_text=name))


def _count(page: Any, name: str) -> int:
    return int(_column(page, name).locator(".sales-count").inner_text())


def _wait_count(page: Any, name: str, expected: int) -> None:
    _column(page, name).locator(".sales-count", has_text=re.compile(rf"^{expected}$")) \
        .wait_for()


def test_on_a_desktop_cards_move_by_drag_and_by_keyboard(server, browser):
    context, visit = _visit(browser, server, "desktop")
    page = visit.page
    try:
        page.goto(server + "/sales/kanban")
        _add_opportunities(page, server)
        page.reload()
        first, second = _column(page, "初步接洽"), _column(page, "需求确认")
        first.locator(".sales-card").first.wait_for()
        second.locator(".sales-kanban-cards[aria-busy=false]").wait_for()
        visit.check_page()
        visit.shot("kanban")
        before = (_count(page, "初步接洽"), _count(page, "需求确认"))

        # drag the first card of the first column into the second column
        card = first.locator(".sales-card").first
        name = card.locator("a").first.inner_text()
        card.locator(".sales-card-customer").drag_to(
            second.locator(".sales-kanban-cards"), target_position={"x": 40, "y": 10})
        _wait_count(page, "初步接洽", before[0] - 1)
        _wait_count(page, "需求确认", before[1] + 1)
        assert second.locator(".sales-card", has_text=name).count() == 1
        page.locator("#kanban-status", has_text="moved to 需求确认").wait_for()

        # with the keyboard: the card's "Move to" list, then the Move button
        card = first.locator(".sales-card").first
        moved = card.locator("a").first.inner_text()
        select = card.locator("select[name=stage]")
        select.focus()
        select.select_option(label="需求确认")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        _wait_count(page, "初步接洽", before[0] - 2)
        _wait_count(page, "需求确认", before[1] + 2)
        assert second.locator(".sales-card", has_text=moved).count() == 1

        # the lost stage requires a reason: the card asks for it, then moves
        card = second.locator(".sales-card", has_text=moved)
        card.locator("select[name=stage]").select_option(label="输单")
        card.locator("button.sales-move-go").click()
        card.locator(".sales-missing [role=alert]").wait_for()
        assert "“Lost reason” is required before an opportunity enters the stage “输单”." \
            == card.locator(".sales-missing [role=alert]").inner_text()
        card.locator(".sales-missing textarea[name=lost_reason]").fill("预算取消")
        card.get_by_role("button", name="Save and move").click()
        _wait_count(page, "需求确认", before[1] + 1)
        assert _column(page, "输单").locator(".sales-card", has_text=moved).count() == 1
        assert not visit.problems, visit.problems
    finally:
        context.close()


def test_on_a_phone_the_columns_scroll_inside_the_board(server, browser):
    context, visit = _visit(browser, server, "phone")
    page = visit.page
    try:
        page.goto(server + "/sales/kanban")
        _column(page, "初步接洽").locator(".sales-kanban-cards[aria-busy=false]").wait_for()
        widths = page.evaluate("""() => {
            const board = document.getElementById('kanban');
            return [board.scrollWidth, board.clientWidth];
        }""")
        assert widths[0] > widths[1]
        visit.check_page()
        visit.shot("kanban")
        assert not visit.problems, visit.problems
    finally:
        context.close()


def _json(page: Any, method: str, url: str, token: str, body: dict[str, Any]) -> Any:
    answer = page.request.fetch(url, method=method, data=body,
                                headers={"X-CSRFToken": token,
                                         "Content-Type": "application/json"})
    assert answer.ok, answer.text()
    return answer.json()


def test_a_short_quote_prints_on_one_a4_page(server, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page, server, "desktop")
    try:
        page.goto(server + "/login")
        page.locator("input[name=username]").fill("admin")
        page.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("networkidle")  # the dashboard's widgets finish loading

        page.goto(server + "/sales/settings")
        page.locator("#company_name").fill("杭州云帆科技有限公司")
        page.locator("#tax_number").fill("91330100MA2XXXXX1Q")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        assert page.locator("#company_name").input_value() == "杭州云帆科技有限公司"

        token = page.locator("meta[name=csrf-token]").get_attribute("content")
        customer = page.request.get(server + "/api/v1/customers?limit=1").json()["items"][0]
        product = _json(page, "POST", server + "/api/v1/sales/products", token,
                        {"sku": "PRINT-A4", "name": "云帆网关", "unit": "台",
                         "list_price": "19.99", "tax_rate": "13"})
        quote = _json(page, "POST", server + "/api/v1/sales/quotes", token, {
            "customer_id": customer["id"],
            "lines": [{"product_id": product["id"], "quantity": "3", "unit_price": "19.99",
                       "discount_percent": "7.5", "tax_rate": "13"}]})

        page.goto(f"{server}/sales/quotes/{quote['id']}/print")
        sheet = page.locator("article.sales-sheet")
        assert "杭州云帆科技有限公司" in sheet.inner_text()
        assert "陆拾贰元陆角捌分" in sheet.inner_text() and "62.68" in sheet.inner_text()
        visit.check_page()
        visit.shot("sales-quote-print")
        assert page.locator("#sales-print-button").is_visible()

        page.emulate_media(media="print")
        for hidden in ("#sales-print-button", ".crm-sidebar", ".crm-topbar"):
            assert page.locator(hidden).first.is_hidden(), hidden
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
        assert len(pages) == 1, f"{len(pages)} pages"
        box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", pdf)
        width, height = float(box.group(1)), float(box.group(2))
        assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2, (width, height)
        assert visit.problems == []
    finally:
        context.close()
