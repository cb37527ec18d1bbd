"""The customers plugin in a real browser, on a phone and on a desktop screen.

A new user's first hour: open the customer list from the menu, find a customer by a Chinese
fragment, open the 360° page, add a customer (a bad mobile number first), import a GBK CSV
written by Excel on Chinese Windows through the wizard (with a real Celery worker), and look
at the dashboard's customer charts. No console error, failed request or inline script, and
nothing wider than the screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import VIEWPORTS, Visit, seeded_customers, serving, sign_in

# One browser at a time (pytest-xdist runs a group in one process): two real servers and
# two chromiums at once on two cores starve each other past the timeouts.
pytestmark = pytest.mark.browser

# As Excel on Chinese Windows saves "CSV (逗号分隔)": GBK, CRLF, Chinese headers, one bad row.
GBK_CSV = ("客户名称,手机,电子邮件,行业,省份,城市\r\n"
           "杭州云栖数据科技有限公司,13900001111,info@yunqi.example.cn,软件,浙江省,杭州市\r\n"
           "成都锦里餐饮管理有限公司,028-86001234,,餐饮,四川省,成都市\r\n"
           "坏号码贸易有限公司,12345,,贸易,广东省,广州市\r\n").encode("gbk")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the customers plugin, demo customers and a worker for the import job."""
    instance = tmp_path_factory.mktemp("customers-browser")
    env = seeded_customers(instance)
    with serving(env, instance, worker=True) as base:
        yield base


def _open_menu(visit: Visit, label: str) -> None:
    page = visit.page
    if visit.screen == "phone":
        page.get_by_role("button", name="Open the menu").click()
        page.locator("#sidebar.show").wait_for(state="visible")
    with page.expect_navigation():
        page.locator("#sidebar").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state("networkidle")


def _wait_for_import(visit: Visit, status_text: str) -> None:
    """Wait while the job's progress bar runs: the page reloads itself with the result."""
    visit.page.locator("#import-counts", has_text=status_text).wait_for(timeout=90_000)
    visit.page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_a_new_user_finds_adds_and_imports_customers(server, browser, screen, tmp_path):
    context = browser.new_context(locale="en-US", **VIEWPORTS[screen])
    page = context.new_page()
    page.set_default_timeout(45_000)
    visit = Visit(page, server, screen)
    try:
        _walk_through(visit, tmp_path, screen)
    finally:
        context.close()
    assert visit.problems == [], "\n".join(visit.problems)


def _walk_through(visit: Visit, tmp_path: Any, screen: str) -> None:
    page = visit.page
    sign_in(visit)

    # The dashboard draws the customer charts from the precomputed counts.
    page.locator(".crm-widget").first.wait_for(state="visible")
    titles = page.locator(".crm-widget h2").all_inner_texts()
    assert "Customers by industry" in titles, titles
    page.locator(".crm-widget canvas").first.wait_for(state="visible")
    visit.check_page()
    visit.shot("customers-dashboard")

    # The list, from the menu: demo customers, a page at a time.
    _open_menu(visit, "Customers")
    assert page.url.startswith(visit.base + "/customers/")
    rows = page.locator("main table tbody tr")
    assert rows.count() >= 20
    visit.check_page()
    visit.shot("customers-list")

    # A two-character Chinese fragment of a listed name finds it.
    names = page.locator("main table tbody tr a[href*='/customers/']").all_inner_texts()
    chinese = next(name for name in names if re.match(r"^[\u4e00-\u9fff]{4}", name))
    fragment = chinese[2:4]
    search = page.locator("main input[name=q]")
    search.fill(fragment)
    with page.expect_navigation():
        search.press("Enter")
    page.wait_for_load_state("networkidle")
    found = page.locator("main table tbody tr a[href*='/customers/']").all_inner_texts()
    assert chinese in found, (fragment, found)
    assert all(fragment in name for name in found[:3]), found[:3]

    # Its 360° page.
    with page.expect_navigation():
        page.locator("main table tbody tr").get_by_role("link", name=chinese,
                                                        exact=True).first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("main h1").inner_text().strip().startswith(chinese)
    visit.check_page()
    visit.shot("customer-360")

    # A new customer: a mobile number one digit short is refused under its field.
    page.goto(visit.base + "/customers/new")
    page.locator("input[name=name]").fill("浏览器测试科技有限公司" + screen)
    page.locator("textarea[name=phones]").fill("1381234567")
    with page.expect_navigation():
        page.locator("#customer-form button[type=submit]").click()
    # The refused page checks for duplicates by itself (htmx): let that answer arrive, or
    # the next submit cancels it and the browser reports the cancelled request.
    page.wait_for_load_state("networkidle")
    error = page.locator("textarea[name=phones] ~ .invalid-feedback").first
    assert error.is_visible() and error.inner_text().strip()
    visit.check_page()
    visit.shot("customer-form-error")
    # The refused form answers 400 on purpose; the browser logs it, which is no problem here.
    visit.problems = [problem for problem in visit.problems if "/customers/new" not in problem]
    page.locator("textarea[name=phones]").fill("138 1234 5678" if screen == "phone"
                                                else "13812345679")
    # Leaving the field runs the duplicate check (htmx), whose warning may push the button
    # down: let it arrive before clicking, as a person sees the button where it ends up.
    page.locator("textarea[name=phones]").press("Tab")
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        page.locator("#customer-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "浏览器测试科技有限公司" in page.locator("main h1").inner_text()

    # Import the GBK file through the wizard: upload, mapping guessed, check, run.
    upload = tmp_path / "客户导入.csv"
    upload.write_bytes(GBK_CSV)
    _open_menu(visit, "Import")
    page.goto(visit.base + "/customers/imports/new")
    page.locator("input[type=file]").set_input_files(str(upload))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and map columns").click()
    # A job reads the file (never the web request); the page reloads with the mapping.
    page.locator("select[name=col_0]").wait_for(timeout=90_000)
    page.wait_for_load_state("networkidle")
    # The mapping is guessed from the Chinese headers.
    guessed = [page.locator(f"select[name=col_{index}]").input_value() for index in range(3)]
    assert guessed == ["name", "phones", "emails"], guessed
    visit.check_page()
    visit.shot("import-mapping")
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    _wait_for_import(visit, "what the import would do")
    assert "12345" in page.locator("main").inner_text()  # the bad row, named with its reason
    visit.shot("import-checked")
    with page.expect_navigation():
        page.get_by_role("button", name="Import now").click()
    _wait_for_import(visit, "Result")
    counts = {name: page.locator(f"[data-count={name}]").inner_text()
              for name in ("total", "created", "failed")}
    visit.check_page()
    visit.shot("import-result")
    assert counts == {"total": "3", "created": "2", "failed": "1"}, counts

    # The imported customers are on the list, found by pinyin initials (杭州云栖 -> hzyq).
    page.goto(visit.base + "/customers/?q=hzyq")
    page.wait_for_load_state("networkidle")
    assert "杭州云栖数据科技有限公司" in page.locator("main table").inner_text()
