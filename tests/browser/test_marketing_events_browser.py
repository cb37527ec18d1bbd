"""An event campaign on phones (390 × 844): the marketer sets up registration, a visitor
registers on the public page in Chinese and sees their ticket with its QR code, and staff
check the visitor in on the check-in page by typing the code (the page's script posts it and
shows the answer). No page has inline scripts or sticks out sideways, and nothing fails.

One module, one server (about half a minute)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import PASSWORD, Visit, crm_steps, environment, serving

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with customers and marketing, and the administrator."""
    instance = tmp_path_factory.mktemp("marketing-events-browser")
    env = environment(instance, CRM_PLUGINS="customers,marketing")
    crm_steps(env, ["i18n", "compile"], ["db", "upgrade"], ["users", "ensure-admin"])
    with serving(env, instance) as base:
        yield base


def _signed_in(browser: Any, server: str) -> tuple[Any, Any, Visit]:
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page, server, "phone")
    page.goto(server + "/login")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")  # the dashboard's widgets
    return context, page, visit


def test_register_on_a_phone_and_check_in_by_code(browser: Any, server: str):
    context, page, visit = _signed_in(browser, server)
    page.goto(server + "/marketing/campaigns/new")
    page.locator("input[name=name]").fill("2027 新品发布会")
    page.locator("select[name=type]").select_option("event")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    campaign_url = page.url.split("?")[0]
    campaign_id = re.search(r"/marketing/campaigns/(\d+)", campaign_url).group(1)
    page.goto(f"{server}/marketing/campaigns/{campaign_id}/event")
    visit.check_page()
    page.locator("input[name=is_open]").check()
    page.locator("input[name=capacity]").fill("80")
    page.locator("input[name=place]").fill("上海国际会议中心 3 楼")
    page.locator("textarea[name=questions]").fill("*职位 | text\n午餐 | choice: 素食, 普通")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    public_url = page.locator("#event-public-url").inner_text()
    visit.check_page()

    guest_context = browser.new_context(locale="zh-CN", **PHONE)
    guest = guest_context.new_page()
    guest.set_default_timeout(30_000)
    guest_visit = Visit(guest, server, "phone")
    guest.goto(public_url)
    assert guest.locator("html").get_attribute("lang") == "zh-CN"
    guest_visit.check_page()
    assert not guest.locator("input[name=homepage]").is_visible()
    guest.locator("input[name=name]").fill("王晓燕")
    guest.locator("input[name=phone]").fill("13912345678")
    guest.locator("input[name=email]").fill("wang@example.cn")
    guest.locator("input[name=q0]").fill("采购经理")
    guest.get_by_label("素食").check()
    guest.locator("input[name=consent]").check()
    guest_visit.shot("event-register")
    with guest.expect_navigation():
        guest.locator("#event-form button[type=submit]").click()
    code = guest.locator("#ticket-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    assert guest.locator("#ticket-qr svg").is_visible()
    guest_visit.check_page()
    guest_visit.shot("event-ticket")
    assert guest_visit.problems == []

    page.goto(f"{server}/marketing/campaigns/{campaign_id}/check-in")
    visit.check_page()
    assert page.locator("#checkin-start").is_visible()  # a camera may be used here
    page.locator("input[name=code]").fill(code.lower())
    page.locator("#checkin-form button[type=submit]").click()
    answer = page.locator('#checkin-answer[data-status="checked_in"]')
    answer.wait_for()
    assert "王晓燕" in answer.inner_text()
    page.locator("input[name=code]").fill(code)
    page.locator("#checkin-form button[type=submit]").click()
    page.locator('#checkin-answer[data-status="already"]').wait_for()
    assert "1" in page.locator("#checkin-counts").inner_text()
    visit.shot("event-check-in")
    assert visit.problems == []
    guest_context.close()
    context.close()
