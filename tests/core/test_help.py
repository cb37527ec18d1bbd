"""``/help``: the staff manual inside the app. Any signed-in user reads it in their language,
rendered from Markdown with its contents, images and links between pages turned into the
app's own addresses, and no raw HTML; the "?" of every page's header opens the section about
that page; a third-party plugin ships its own pages through ``crm_help_pages``; and the
manual's two languages, its section ids, the endpoint map and its screenshots agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crm_core.errors import RegistryError
from crm_core.help.manual import KERNEL_HELP_PAGES, MANUAL_DIR
from crm_core.help.render import render_markdown
from crm_core.testing import client_as

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en"}
HEADING_ID = re.compile(r"^#{1,3} .*\{#([\w-]+)\}\s*$", re.MULTILINE)
IMAGE = re.compile(r"!\[[^\]]*\]\(\.\./img/([\w.-]+)\)")

NOTES_PLUGIN = '''
from pathlib import Path

from crm_core.toolkit import HelpPage, PluginInfo, hookimpl

PLUGIN = PluginInfo(name="helpful", title="Helpful", version="0.1")


@hookimpl
def crm_help_pages():
    return [HelpPage(id="helpful.notes", folder=Path(__file__).parent / "manual",
                     file="notes.md", endpoints={"core_audit": "log"}, order=5)]
'''
NOTES_EN = """# Notes of the helpful plugin

## The log {#log}

Read it <script>alert(1)</script> and [the start](start.md#search).

![a picture](../img/pixel.png)
"""
NOTES_ZH = """# 帮助插件的笔记

## 日志 {#log}

阅读日志。
"""


def test_a_signed_in_user_reads_the_manual_in_their_language(crm_make_app):
    app = crm_make_app()
    client = client_as(app, "sales")
    contents = client.get("/help/", headers=ZH).get_data(as_text=True)
    for title in ("快速入门", "客户", "销售", "服务", "营销", "看板与报表", "系统管理"):
        assert title in contents
    page = client.get("/help/customers", headers=ZH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<h2 id="import">导入表格</h2>' in html
    assert 'href="#follow-up"' in html  # the page's own contents
    assert 'src="/help/img/customers/customers-list.png"' in html
    assert 'href="/help/sales"' in html  # a link to another page's file
    english = client.get("/help/customers", headers=EN).get_data(as_text=True)
    assert '<h2 id="import">Import a spreadsheet</h2>' in english
    image = client.get("/help/img/customers/customers-list.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG")


def test_the_help_asks_for_a_sign_in_and_refuses_odd_paths(crm_make_app):
    app = crm_make_app()
    anonymous = app.test_client().get("/help/customers")
    assert anonymous.status_code in (302, 401) and "/login" in anonymous.headers["Location"]
    client = client_as(app, "viewer")
    assert client.get("/help/no-such-page").status_code == 404
    assert client.get("/help/img/customers/..%2f..%2fpyproject.toml").status_code == 404
    assert client.get("/help/img/customers/secret.txt").status_code == 404
    assert client.get("/help/img/customers/missing.png").status_code == 404


@pytest.mark.parametrize(("path", "target"), [
    ("/customers/", "/help/customers#list"),
    ("/sales/kanban", "/help/sales#kanban"),
    ("/service/tickets", "/help/service#queue"),
    ("/admin/users", "/help/admin#users"),
    ("/", "/help/start#layout"),
])
def test_the_question_mark_of_a_page_opens_the_section_about_it(crm_make_app, path, target):
    app = crm_make_app()
    page = client_as(app, "admin", superuser=True).get(path, headers=EN)
    assert page.status_code == 200
    link = re.search(r'<a class="[^"]*crm-help-link[^"]*" href="([^"]+)"',
                     page.get_data(as_text=True))
    assert link and link.group(1) == target


def test_a_plugin_ships_its_own_help_pages(crm_make_app, crm_install_plugin, tmp_path):
    site = crm_install_plugin("helpful", NOTES_PLUGIN, files={
        "manual/en/notes.md": NOTES_EN, "manual/zh_CN/notes.md": NOTES_ZH})
    (site / "helpful_plugin" / "manual" / "img").mkdir()
    (site / "helpful_plugin" / "manual" / "img" / "pixel.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    app = crm_make_app(plugins=["helpful"])
    client = client_as(app, "admin", superuser=True)
    html = client.get("/help/helpful.notes", headers=EN).get_data(as_text=True)
    assert '<h2 id="log">The log</h2>' in html
    assert "<script>" not in html and "alert(1)" in html  # shown as text, never run
    assert 'src="/help/img/helpful.notes/pixel.png"' in html
    assert client.get("/help/img/helpful.notes/pixel.png").status_code == 200
    assert "帮助插件的笔记" in client.get("/help/helpful.notes", headers=ZH).get_data(as_text=True)
    audit = client.get("/audit", headers=EN).get_data(as_text=True)
    assert 'href="/help/helpful.notes#log"' in audit  # its endpoint map comes first (order 5)
    # the kernel's pages about plugins that are not enabled are left out
    assert client.get("/help/sales").status_code == 404


def test_a_plugin_help_page_outside_its_name_stops_the_start(crm_make_app,
                                                              crm_install_plugin):
    crm_install_plugin("rogue", NOTES_PLUGIN.replace('"helpful"', '"rogue"'))
    with pytest.raises(RegistryError, match="must start with 'rogue.'"):
        crm_make_app(plugins=["rogue"])


def test_markdown_is_sanitised_and_headings_get_stable_ids():
    rendered = render_markdown(
        "# Title\n\n## 看板 {#kanban}\n\n## Same\n\n## Same\n\n"
        "[x](javascript:alert(1)) <img src=x onerror=alert(1)> ![i](http://x/y.png)",
        lambda file, section: None, lambda name: f"/img/{name}")
    assert rendered.title == "Title"
    assert rendered.contents == [(2, "kanban", "看板"), (2, "same", "Same"),
                                 (2, "same-2", "Same")]
    assert 'href="javascript:' not in rendered.html and "<img src=x" not in rendered.html
    assert 'src="http://x/y.png"' in rendered.html  # an outside image is left as written


def _ids(text: str) -> list[str]:
    return HEADING_ID.findall(text)


def test_the_manual_has_both_languages_with_the_same_sections_and_every_screenshot():
    referenced: set[str] = set()
    for page in KERNEL_HELP_PAGES:
        zh = (MANUAL_DIR / "zh_CN" / page.file).read_text(encoding="utf-8")
        en = (MANUAL_DIR / "en" / page.file).read_text(encoding="utf-8")
        assert _ids(zh) == _ids(en), page.file
        for section in page.endpoints.values():
            assert not section or section in _ids(en), (page.file, section)
        assert IMAGE.findall(zh) == IMAGE.findall(en), page.file
        referenced.update(IMAGE.findall(en))
    for name in referenced:
        assert (MANUAL_DIR / "img" / name).is_file(), f"docs/manual/img/{name} is missing"
    unused = {path.name for path in Path(MANUAL_DIR / "img").glob("*.png")} - referenced
    assert not unused, f"screenshots no page shows: {sorted(unused)}"
