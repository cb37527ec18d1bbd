"""The UI shell as a user sees it: language, menu, search, dashboard and error pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crm_core.auth.models import User
from crm_core.auth.permissions import require_permission
from crm_core.errors import DomainError
from crm_core.i18n_catalogs import compile_all
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, login

pytestmark = pytest.mark.crm_plugins("example")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs() -> None:
    """The .mo files are build output (``crm i18n compile``); build them from the .po files."""
    compile_all()


def html(response) -> str:
    return response.get_data(as_text=True)


def heading(page: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.DOTALL)
    assert match, "the page has no <h1>"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def user_with_roles(app, name: str, roles: list[str]):
    user = create_test_user(app, name)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        assign_roles(session, user.id, roles)
        session.commit()
        session.close()
    return user


def stored_locale(app, user_id: int) -> str | None:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        try:
            return session.scalar(select(User.locale).where(User.id == user_id))
        finally:
            session.close()


def add_notes(app, *titles: str) -> None:
    for title in titles:
        result = app.test_cli_runner().invoke(args=["example", "add-note", title])
        assert result.exit_code == 0, result.output


# -- language --------------------------------------------------------------------------------

def test_login_page_is_in_english_without_a_language_preference(client):
    page = html(client.get("/login"))
    assert heading(page) == "Sign in"
    assert '<html lang="en">' in page


@pytest.mark.parametrize("accept", ["zh-CN", "zh-CN,zh;q=0.9,en;q=0.5", "zh", "zh-Hans",
                                    "zh-TW", "fr, zh-Hant-TW;q=0.8, en;q=0.5"])
def test_login_page_is_in_chinese_when_the_browser_prefers_chinese(client, accept):
    page = html(client.get("/login", headers={"Accept-Language": accept}))
    assert heading(page) == "登录"
    assert '<html lang="zh-CN">' in page
    assert "用户名" in page and "密码" in page and "English" in page


def test_english_first_in_accept_language_wins_over_chinese(client):
    page = html(client.get("/login", headers={"Accept-Language": "en-GB, zh-CN;q=0.8"}))
    assert heading(page) == "Sign in"


def test_language_switch_on_the_login_page_keeps_the_choice_in_a_cookie(client):
    token = csrf_token(html(client.get("/login", headers=EN)))
    response = client.post("/language", data={"csrf_token": token, "locale": "zh_CN",
                                              "next": "/login"}, headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("crm_lang=zh_CN") and "HttpOnly" in cookie
    assert heading(html(client.get("/login", headers=EN))) == "登录"


def test_language_switch_persists_on_the_signed_in_user(crm_app):
    user = create_test_user(crm_app, "lin", superuser=True)
    browser = login(crm_app.test_client(), user)
    token = csrf_token(html(browser.get("/", headers=EN)))
    response = browser.post("/language", data={"csrf_token": token, "locale": "zh_CN",
                                               "next": "/example/notes"}, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"] == "/example/notes"
    assert stored_locale(crm_app, user.id) == "zh_CN"

    # another device: no cookie, an English browser, the same user
    other = login(crm_app.test_client(), user)
    page = html(other.get("/", headers=EN))
    assert heading(page) == "仪表盘" and '<html lang="zh-CN">' in page

    token = csrf_token(page)
    other.post("/language", data={"csrf_token": token, "locale": "en"}, headers=EN)
    assert stored_locale(crm_app, user.id) == "en"
    assert heading(html(other.get("/", headers=ZH))) == "Dashboard"


@pytest.mark.parametrize(("target", "expected"), [
    ("/search?q=acme", "/search?q=acme"),
    ("https://evil.example/phish", "/"),
    ("//evil.example/phish", "/"),
    ("javascript:alert(1)", "/"),
    ("/\\evil.example", "/"),
])
def test_language_switch_goes_back_only_to_this_site(admin_client, target, expected):
    token = csrf_token(html(admin_client.get("/")))
    response = admin_client.post("/language", data={"csrf_token": token, "locale": "en",
                                                    "next": target})
    assert response.status_code == 302 and response.headers["Location"] == expected


def test_language_switch_without_next_returns_to_the_referring_page(admin_client):
    token = csrf_token(html(admin_client.get("/")))
    response = admin_client.post("/language", data={"csrf_token": token, "locale": "en"},
                                 headers={"Referer": "http://localhost/example/notes?x=1"})
    assert response.headers["Location"] == "/example/notes?x=1"


def test_language_switch_refuses_unknown_languages_and_posts_without_csrf(admin_client):
    token = csrf_token(html(admin_client.get("/")))
    assert admin_client.post("/language", data={"csrf_token": token,
                                                "locale": "xx"}).status_code == 400
    assert admin_client.post("/language", data={"locale": "zh_CN"}).status_code == 400
    assert heading(html(admin_client.get("/", headers=EN))) == "Dashboard"


# -- layout and menu -------------------------------------------------------------------------

def test_menu_hides_items_the_user_may_not_see(crm_app):
    nobody = login(crm_app.test_client(), create_test_user(crm_app, "nobody"))
    page = html(nobody.get("/"))
    assert 'href="/example/notes"' not in page
    assert 'href="/audit"' not in page and "/admin/users" not in page

    viewer = login(crm_app.test_client(), user_with_roles(crm_app, "vera", ["viewer"]))
    page = html(viewer.get("/"))
    assert 'href="/example/notes"' in page and "/admin/users" not in page

    root = login(crm_app.test_client(), create_test_user(crm_app, "root", superuser=True))
    page = html(root.get("/"))
    assert 'href="/example/notes"' in page and "/admin/users" in page


def test_menu_marks_the_page_being_shown(admin_client):
    page = html(admin_client.get("/example/notes"))
    link = re.search(r'<a class="nav-link active" href="/example/notes" aria-current="page"', page)
    assert link, "the Notes menu item is not marked as the current page"


def test_menu_labels_and_user_menu_follow_the_language(admin_client):
    page = html(admin_client.get("/", headers=ZH))
    assert ">笔记</span>" in page and "退出登录" in page and "修改密码" in page
    page = html(admin_client.get("/", headers=EN))
    assert ">Notes</span>" in page and "Sign out" in page and "Change password" in page


def test_user_menu_leaves_out_pages_the_user_may_not_open(crm_app):
    nobody = login(crm_app.test_client(), create_test_user(crm_app, "nobody"))
    page = html(nobody.get("/"))
    assert 'href="/account/password"' in page
    assert 'href="/account/tokens"' not in page  # needs core.token.manage
    sales = login(crm_app.test_client(), user_with_roles(crm_app, "sam", ["sales"]))
    assert 'href="/account/tokens"' in html(sales.get("/"))


def test_sign_out_is_a_post_form_in_the_user_menu(admin_client):
    page = html(admin_client.get("/"))
    assert re.search(r'<form method="post" action="/logout"', page)
    token = csrf_token(page)
    response = admin_client.post("/logout", data={"csrf_token": token}, follow_redirects=True,
                                 headers=ZH)
    page = html(response)
    assert heading(page) == "登录"
    assert "您已退出登录。" in page and 'data-bs-dismiss="alert"' in page


def test_pages_have_no_inline_scripts_or_event_handlers(crm_app, admin_client, client):
    add_notes(crm_app, "Inline check")
    pages = [html(admin_client.get(url)) for url in
             ("/", "/example/notes", "/search?q=inline", "/search/suggest?q=inline", "/nope")]
    pages.append(html(client.get("/login")))
    for page in pages:
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page), "an inline <script>"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", page), "an inline event handler"
        assert "cdn" not in page.lower() and "https://" not in page


# -- search ----------------------------------------------------------------------------------

def test_search_page_lists_hits_grouped_by_kind(crm_app, admin_client):
    add_notes(crm_app, "Call ACME about the renewal", "Visit ACME in Shanghai", "Globex visit")
    page = html(admin_client.get("/search?q=acme", headers=EN))
    assert heading(page) == "Search"
    assert "2 results for “acme”." in page
    assert re.search(r"<h2[^>]*>note <span", page)
    assert "Call ACME about the renewal" in page and "Visit ACME in Shanghai" in page
    assert "Globex visit" not in page
    assert 'value="acme"' in page  # the top bar's box keeps the query

    page = html(admin_client.get("/search?q=acme", headers=ZH))
    assert "“acme”共有 2 条结果。" in page and re.search(r"<h2[^>]*>笔记 <span", page)


def test_search_page_shows_an_empty_state(admin_client):
    page = html(admin_client.get("/search?q=zzzz", headers=EN))
    assert "No results for “zzzz”." in page
    assert "没有找到与“zzzz”相关的结果。" in html(admin_client.get("/search?q=zzzz", headers=ZH))
    blank = html(admin_client.get("/search", headers=EN))
    assert "Type a word to search every module you may see." in blank


def test_search_dropdown_shows_the_top_hits_and_a_link_to_all(crm_app, admin_client):
    add_notes(crm_app, *[f"Dropdown note {n}" for n in range(12)])
    page = html(admin_client.get("/search/suggest?q=dropdown", headers=EN))
    assert page.count('role="option"') == 8
    assert 'role="listbox"' in page
    assert 'href="/search?q=dropdown"' in page and "All results for “dropdown”" in page


def test_search_dropdown_empty_state_and_blank_query(admin_client):
    page = html(admin_client.get("/search/suggest?q=nothing-like-it", headers=ZH))
    assert "没有找到与“nothing-like-it”相关的结果。" in page and 'role="option"' not in page
    assert html(admin_client.get("/search/suggest?q=%20")).strip() == ""


def test_search_shows_only_what_the_user_may_see(crm_app):
    add_notes(crm_app, "Secret plan")
    nobody = login(crm_app.test_client(), create_test_user(crm_app, "nobody"))
    assert "Secret plan" not in html(nobody.get("/search?q=secret"))
    assert "No results for “secret”." in html(nobody.get("/search?q=secret", headers=EN))


def test_search_pages_need_a_signed_in_user(client):
    assert client.get("/search?q=x").status_code == 302
    assert client.get("/search/suggest?q=x").status_code == 302


# -- dashboard -------------------------------------------------------------------------------

def test_dashboard_shows_the_widgets_the_user_may_see(crm_app):
    root = login(crm_app.test_client(), create_test_user(crm_app, "root", superuser=True))
    page = html(root.get("/", headers=ZH))
    assert 'data-widget-url="/api/v1/widgets/example.notes_per_day"' in page
    assert 'data-kind="bar"' in page and "每日笔记" in page
    assert 'data-msg-error="无法加载此报表。"' in page  # the script's states, translated
    assert "vendor/echarts/echarts.min.js" in page and "dashboard.js" in page

    nobody = login(crm_app.test_client(), create_test_user(crm_app, "nobody"))
    page = html(nobody.get("/", headers=EN))
    assert "data-widget-url" not in page and "echarts" not in page
    assert "No reports yet." in page


@pytest.mark.crm_plugins()
def test_dashboard_without_any_report_plugin_shows_an_empty_state(admin_client):
    page = html(admin_client.get("/", headers=ZH))
    assert heading(page) == "仪表盘" and "暂无报表。" in page


def test_static_assets_are_served_locally(admin_client):
    for path in ("/static/crm.css", "/static/crm.js", "/static/dashboard.js",
                 "/static/favicon.svg", "/static/vendor/echarts/echarts.min.js",
                 "/static/vendor/bootstrap/bootstrap.min.css",
                 "/static/vendor/htmx/htmx.min.js"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        response.close()


# -- error pages -----------------------------------------------------------------------------

def test_404_page_in_both_languages(admin_client, client):
    page = html(admin_client.get("/no/such/page", headers=EN))
    assert heading(page) == "Page not found" and "Back to the dashboard" in page
    response = admin_client.get("/no/such/page", headers=ZH)
    assert response.status_code == 404
    assert heading(html(response)) == "页面不存在" and "返回仪表盘" in html(response)
    anonymous = html(client.get("/no/such/page", headers=ZH))
    assert heading(anonymous) == "页面不存在" and 'href="/login"' in anonymous


def test_403_page_in_both_languages(crm_app):
    nobody = login(crm_app.test_client(), create_test_user(crm_app, "nobody"))
    response = nobody.get("/example/notes", headers=EN)
    assert response.status_code == 403 and heading(html(response)) == "Access denied"
    page = html(nobody.get("/example/notes", headers=ZH))
    assert heading(page) == "无权访问" and "您没有打开此页面的权限" in page


@pytest.fixture
def failing_app(crm_make_app):
    app = crm_make_app(plugins=[])

    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    def refused():  # type: ignore[no-untyped-def]
        raise DomainError("The note is locked.")

    app.add_url_rule("/boom", "boom", require_permission()(boom))
    app.add_url_rule("/refused", "refused", require_permission()(refused))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page, no traceback
    return app


def test_500_page_in_both_languages(failing_app):
    browser = login(failing_app.test_client(), create_test_user(failing_app, "root",
                                                                 superuser=True))
    response = browser.get("/boom", headers=EN)
    assert response.status_code == 500
    assert heading(html(response)) == "Something went wrong"
    assert "a bug" not in html(response)
    page = html(browser.get("/boom", headers=ZH))
    assert heading(page) == "出错了" and "错误已记录。请稍后再试。" in page


def test_a_refused_action_shows_its_reason_on_the_error_page(failing_app):
    browser = login(failing_app.test_client(), create_test_user(failing_app, "root",
                                                                 superuser=True))
    response = browser.get("/refused", headers=ZH)
    assert response.status_code == 422
    assert heading(html(response)) == "无法执行" and "The note is locked." in html(response)
