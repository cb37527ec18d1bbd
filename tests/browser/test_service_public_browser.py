"""The public service form on a phone (390 × 844, Chinese browser), nobody signed in: a
customer files a complaint with a photo, gets the reference, and opens the status page the
link leads to. No page has inline scripts or sticks out sideways, and nothing fails.

One module, one server (about half a minute)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import Visit, crm, seeded_customers, serving

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
#: The smallest PNG (one transparent pixel): a customer's photo.
PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049"
                      "454e44ae426082")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with customers and service, a few demo customers and the demo service team."""
    instance = tmp_path_factory.mktemp("service-public-browser")
    env = seeded_customers(instance, plugins="customers,service", customers=5)
    crm(env, "seed", "--customers", "0", "--service", "2")
    with serving(env, instance) as base:
        yield base


def test_a_complaint_goes_in_through_the_public_form_on_a_phone(browser: Any, server: str):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page, server, "phone")
    page.goto(server + "/service/form")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    visit.check_page()
    assert not page.locator("input[name=homepage]").is_visible()  # the honeypot
    page.locator("select[name=type]").select_option(label="投诉")
    page.locator("input[name=name]").fill("王晓燕")
    page.locator("input[name=phone]").fill("13912345678")
    page.locator("input[name=subject]").fill("收到的打印机无法开机")
    page.locator("textarea[name=content]").fill("上周五收货，插电后没有任何反应。<script>x</script>")
    page.locator("input[name=file]").set_input_files(
        {"name": "照片.png", "mimeType": "image/png", "buffer": PIXEL})
    visit.shot("public-form")
    with page.expect_navigation():
        page.locator("#public-form button[type=submit]").click()
    reference = page.locator("#public-reference").inner_text()
    assert re.fullmatch(r"SR\d{6}-\d{4}", reference)
    visit.check_page()
    visit.shot("public-form-done")

    with page.expect_navigation():
        page.locator("#public-status-link").click()
    assert reference in page.locator("h1").inner_text()
    assert page.locator("#status-subject").inner_text() == "收到的打印机无法开机"
    assert page.locator(".public-state").count() == 1
    visit.check_page()
    visit.shot("public-status")
    assert visit.problems == [], "\n".join(visit.problems)
    context.close()
