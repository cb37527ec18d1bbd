"""The staff manual (docs/manual) against the real app in a browser: every page the manual
shows is signed into and rendered, and every menu, button and field name the manual tells
people to look for is on it, in Chinese and in English, and is written in the manual's page
of that language. So a renamed button fails here instead of the manual drifting silently.

With ``CRM_MANUAL_SHOTS=1`` the pages are also photographed (1280×800, the Chinese
interface) into docs/manual/img/, the screenshots the manual shows; keep them in git.
The help page itself is opened too, with its screenshots, as a user would read it.
"""

from __future__ import annotations

import html
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browsing import PASSWORD, REPO, Visit, crm_steps, environment, serving

pytestmark = pytest.mark.browser

MANUAL = REPO / "docs" / "manual"
SHOOT = os.environ.get("CRM_MANUAL_SHOTS") == "1"
PLUGINS = "customers,sales,service,marketing,analytics"
# a mail server is named (nothing is sent in the test) so the pages show no "e-mail is not
# set up" warning in the screenshots
SETTINGS = {"CRM_PLUGINS": PLUGINS, "CRM_SMTP_URL": "smtp://127.0.0.1:1025",
            "CRM_MAIL_FROM": "CRM <crm@example.com>"}


@dataclass(frozen=True)
class Shot:
    """One screen of the manual: where it is (a path, or the first link matching ``link``
    on that path), its manual page and the names the manual uses, by language."""

    name: str
    path: str
    manual: str
    zh: list[str]
    en: list[str]
    link: str = ""
    wait: str = "main"
    #: an element brought to the top of the screen before the screenshot
    scroll: str = ""


SHOTS = [
    Shot("dashboard", "/", "start", ["仪表盘", "我的待跟进"], ["Dashboard", "My follow-ups"]),
    Shot("customers-list", "/customers/", "customers",
         ["新建客户", "快速搜索", "应用筛选", "保存为客户分群", "批量操作", "回收站", "继续…"],
         ["New customer", "Quick search", "Apply filters", "Save as segment", "Bulk action",
          "Trash", "Continue…"]),
    Shot("customer-new", "/customers/new", "customers",
         ["基本信息", "联系方式", "统一社会信用代码", "负责人", "省份"],
         ["Basics", "How to reach them", "Unified social credit code", "Owner", "Province"]),
    Shot("customer-detail", "/customers/", "customers",
         ["添加记录", "沟通内容", "下次跟进", "时间线", "新建商机", "新建订单", "录入服务请求",
          "变更历史", "上传"],
         ["Add record", "What was said", "Next follow-up", "Timeline", "New opportunity",
          "New order", "Enter a request", "Change history", "Upload"],
         link=r"^/customers/\d+$"),
    Shot("import-upload", "/imports/customers.customer/new", "customers",
         ["CSV 或 Excel 文件", "列映射模板", "上传并映射列"],
         ["CSV or Excel file", "Column mapping template", "Upload and map columns"]),
    Shot("kanban", "/sales/kanban", "sales", ["初步接洽", "需求确认", "仅看停滞", "列表", "移至…"],
         ["Stale only", "List"], wait=".sales-card"),  # (English cards load later, by htmx)
    Shot("quick-entry", "/service/requests/quick", "service",
         ["查找来电客户", "新客户姓名", "登记请求", "咨询", "投诉", "建议"],
         ["Find the caller", "New caller's name", "Enter the request", "Inquiry",
          "Complaint", "Suggestion"]),
    Shot("tickets", "/service/tickets", "service",
         ["全部", "我的", "我的服务组", "未分派", "即将超时", "首次响应时限", "解决时限"],
         ["All", "Mine", "My teams", "Unassigned", "Due soon", "First response due",
          "Resolution due"]),
    Shot("ticket", "/service/tickets", "service",
         ["标记为处理中", "改派给", "改派", "回复客户", "内部备注", "并等待客户回复", "常用回复",
          "插入", "发送"],
         ["Mark as in progress", "Give it to", "Reassign", "Reply to the customer",
          "Internal note", "and wait for the customer", "Canned reply", "Insert", "Send"],
         link=r"^/service/tickets/\d+$", scroll="#conversation"),
    Shot("campaign", "/marketing/campaigns", "marketing", ["编辑", "登记响应", "添加费用明细"],
         ["Edit", "Log a response", "Add a cost line"], link=r"^/marketing/campaigns/\d+$"),
    Shot("analytics-sales", "/analytics/sales", "reports",
         ["每月销售额", "各负责人销售额", "各部门销售额", "各产品销售额", "显示"],
         ["Revenue per month", "Revenue per owner", "Revenue per department",
          "Revenue per product", "Show"]),
    Shot("report-new", "/analytics/reports/new", "reports",
         ["标题", "数据源", "度量", "维度（行）", "第二维度（列）", "预览", "与下列角色共享"],
         ["Title", "Source", "Measure", "Dimension (rows)", "Second dimension (columns)",
          "Preview", "Share with the roles below"]),
    Shot("admin-users", "/admin/users", "admin", ["新建用户", "停用", "密码", "编辑"],
         ["New user", "Disable", "Password", "Edit"]),
    Shot("admin-departments", "/admin/departments", "admin",
         ["新建部门", "添加下级部门", "重命名或移动"],
         ["New department", "Add sub-department", "Rename or move"]),
    Shot("admin-custom-fields", "/admin/custom-fields", "admin", ["自定义字段", "新建字段"],
         ["Custom fields", "New field"]),
    Shot("admin-custom-field-new", "/admin/custom-fields/new?kind=customers.customer", "admin",
         ["字段键", "名称（中文）", "可筛选", "可查看的角色", "保存"],
         ["Field key", "Label (Chinese)", "Filterable", "Roles that may see it", "Save"]),
]
# names of the menu the manual tells people to open
MENU = {"zh": ["客户", "导入", "疑似重复客户", "商机", "看板", "报价单", "订单", "合同", "回款",
               "开票申请", "服务请求", "快速登记", "工单", "营销活动", "营销同意", "销售分析",
               "报表", "用户", "角色", "部门", "操作日志"],
        "en": ["Customers", "Import", "Possible duplicates", "Opportunities", "Kanban",
               "Quotes", "Orders", "Contracts", "Payments received", "Invoice requests",
               "Service requests", "Quick entry", "Tickets", "Campaigns", "Consents",
               "Sales analysis", "Reports", "Users", "Roles", "Departments", "Operation log"]}
MANUAL_PAGES = {"start", "customers", "sales", "service", "marketing", "reports", "admin"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the built-in business plugins and their demo data (20 customers, 30
    records of each other plugin); or, to re-take the screenshots quickly, a demo already
    running at ``CRM_MANUAL_BASE_URL`` (the same plugins and ``SETTINGS``, seeded, the
    administrator's password ``PASSWORD``)."""
    if os.environ.get("CRM_MANUAL_BASE_URL"):
        yield os.environ["CRM_MANUAL_BASE_URL"].rstrip("/")
        return
    instance = tmp_path_factory.mktemp("manual-browser")
    env = environment(instance, **SETTINGS)
    crm_steps(env, ["i18n", "compile"], ["db", "upgrade"], ["users", "ensure-admin"],
              ["seed", "--customers", "20", "--size", "30"], ["customers", "refresh-stats"])
    with serving(env, instance) as base:
        yield base


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def _manual(language: str, page: str) -> str:
    """A manual page's text with its lines joined (a name may be wrapped)."""
    text = (MANUAL / ("zh_CN" if language == "zh" else "en") / f"{page}.md").read_text(
        encoding="utf-8")
    return re.sub(r"\n\s*", "" if language == "zh" else " ", text)


def _smaller_png(path: Path) -> None:
    """Make the browser's PNG small: 256 colours with Pillow (a test dependency), else the
    same pixels recompressed at zlib's best level."""
    try:
        from PIL import Image
    except ImportError:
        Image = None  # noqa: N806
    if Image is not None:
        with Image.open(path) as shot:
            small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)
        return
    data = path.read_bytes()
    chunks, position, body = [], 8, b""
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        content = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IDAT":
            body += content
        else:
            chunks.append((kind, content))
    packed = zlib.compress(zlib.decompress(body), 9)

    def chunk(kind: bytes, content: bytes) -> bytes:
        return (len(content).to_bytes(4, "big") + kind + content
                + zlib.crc32(kind + content).to_bytes(4, "big"))

    out = data[:8] + chunk(*chunks[0]) + chunk(b"IDAT", packed)
    out += b"".join(chunk(kind, content) for kind, content in chunks[1:])
    if len(out) < len(data):
        path.write_bytes(out)


def _open(page: Any, server: str, shot: Shot) -> str:
    """Go to the shot's page (following its first matching link); returns its path."""
    page.goto(server + shot.path)
    if shot.link:
        hrefs = page.eval_on_selector_all("main a[href]",
                                          "els => els.map(e => e.getAttribute('href'))")
        target = next((href for href in hrefs if re.match(shot.link, href)), None)
        assert target, f"no link like {shot.link} on {shot.path}"
        page.goto(server + target)
    page.locator(shot.wait).first.wait_for()
    page.wait_for_load_state("networkidle")
    if shot.scroll:
        page.locator(shot.scroll).first.evaluate(
            "element => window.scrollBy(0, element.getBoundingClientRect().top - 70)")
    return page.url.removeprefix(server)


def _language(page: Any, code: str) -> None:
    page.wait_for_load_state("networkidle")  # the page's charts first: leaving aborts them
    page.locator("button.crm-lang-toggle").click()
    with page.expect_navigation():
        page.locator(f"button[name=locale][value={code}]").click()


def test_the_manual_names_what_the_screens_show_in_both_languages(server, browser):
    assert {shot.manual for shot in SHOTS} <= MANUAL_PAGES
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page, server, "manual")
    try:
        page.goto(server + "/login")
        page.locator("input[name=username]").fill("admin")
        page.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        _language(page, "zh_CN")  # the account keeps the language chosen last time
        paths = {}
        for shot in SHOTS:
            paths[shot.name] = _open(page, server, shot)
            shown = _text(page.content())
            missing = [name for name in shot.zh if name not in shown]
            assert not missing, f"{shot.name} ({paths[shot.name]}): {missing} not on the page"
            unwritten = [name for name in shot.zh if name not in _manual("zh", shot.manual)]
            assert not unwritten, f"zh_CN/{shot.manual}.md does not name {unwritten}"
            if SHOOT:
                target = MANUAL / "img" / f"{shot.name}.png"
                page.screenshot(path=str(target), full_page=False)
                _smaller_png(target)
        menu = _text(page.locator("nav.crm-nav").inner_html())
        assert not [name for name in MENU["zh"] if name not in menu]

        # the manual inside the app: its screenshots load, the "?" leads to it
        page.goto(server + "/customers/")
        page.locator("a.crm-help-link").click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/help/customers#list")
        page.locator("article.crm-help-page h2#import").wait_for()
        assert page.eval_on_selector_all(
            "article.crm-help-page img", "els => els.every(e => e.naturalWidth > 0)")
        visit.check_page()

        # the same screens in English: the names the English manual uses
        _language(page, "en")
        for shot in SHOTS:
            shown = _text(page.request.get(server + paths[shot.name]).text())
            missing = [name for name in shot.en if name not in shown]
            assert not missing, f"{shot.name} in English: {missing} not on the page"
            unwritten = [name for name in shot.en if name not in _manual("en", shot.manual)]
            assert not unwritten, f"en/{shot.manual}.md does not name {unwritten}"
        page.goto(server + "/")
        page.wait_for_load_state("networkidle")
        menu = _text(page.locator("nav.crm-nav").inner_html())
        assert not [name for name in MENU["en"] if name not in menu]
        # a chart still loading when the test moves on is dropped by the browser itself
        # (ERR_ABORTED), which a person never notices; every other problem fails the test
        problems = [item for item in visit.problems if "net::ERR_ABORTED" not in item]
        assert not problems, "\n".join(problems)
    finally:
        context.close()
