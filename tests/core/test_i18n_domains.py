"""Each plugin translates in its own domain: the same English text can read differently in the
kernel's parts of a page and a plugin's parts, and a plugin no longer changes the kernel's words.

The kernel translates "Created" (an audit history badge: the record was created) as 已创建;
the example plugin's and the customers plugin's catalogs translate it (a column: when it was
created) as 创建时间.
"""

from __future__ import annotations

import re

import flask_babel
import pytest

from crm_core.audit.views import ACTION_LABELS
from crm_core.testing import login

ZH = {"Accept-Language": "zh-CN"}
KERNEL_CREATED, PLUGIN_CREATED = "已创建", "创建时间"


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _add_note(client, title: str) -> str:
    form = client.get("/example/notes/new").get_data(as_text=True)
    added = client.post("/example/notes", data={"csrf_token": _csrf_token(form),
                                                 "title": title, "body": ""})
    assert added.status_code == 302, added.get_data(as_text=True)
    return added.headers["Location"]


def test_a_note_page_shows_the_plugins_created_label_and_the_kernels_history_badge(
        crm_app, admin_client):
    """On one page: the field label (the plugin's text) and the history badge (the kernel's)."""
    note_url = _add_note(admin_client, "Renewal call")
    page = admin_client.get(note_url, headers=ZH).get_data(as_text=True)
    assert f'text-muted fw-normal">{PLUGIN_CREATED}</dt>' in page  # the field's label
    assert f'title="insert">{KERNEL_CREATED}</span>' in page  # the history badge
    assert "Created" not in page  # neither side is left untranslated


def test_lazy_labels_remember_the_domain_of_the_module_that_declared_them(crm_app):
    """A plugin's ``_l(...)`` shown by kernel code is still the plugin's word; the kernel's
    lazy badge and a plain ``gettext`` from kernel-side code are the kernel's."""
    from crm_plugin_example.resources import NOTES

    created_field = next(field for field in NOTES.fields if field.name == "created_at")
    with crm_app.test_request_context("/", headers=ZH):
        assert str(created_field.label) == PLUGIN_CREATED
        assert str(ACTION_LABELS["insert"]) == KERNEL_CREATED
        assert flask_babel.gettext("Created") == KERNEL_CREATED
        assert str(flask_babel.lazy_gettext("Created")) == KERNEL_CREATED
        # a plugin's catalog once replaced the kernel's 已更新 with its 更新时间
        assert flask_babel.gettext("Updated") == "已更新"
    with crm_app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(created_field.label) == "Created"


def test_a_plugins_template_uses_its_catalog_and_the_kernels_layout_keeps_the_kernels(
        crm_app, crm_session, admin_client):
    """A customer's page (the plugin's template) says 创建时间 and 更新时间, while the kernel's
    layout and history on the same page keep the kernel's words."""
    from plugins.customers import services

    customer = services.create_customer(crm_session, name="华宇科技")
    crm_session.commit()
    page = admin_client.get(f"/customers/{customer.id}", headers=ZH).get_data(as_text=True)
    assert page.count(f">{PLUGIN_CREATED}</dt>") == 1 and ">更新时间</dt>" in page
    assert "退出登录" in page  # the kernel's top bar
    assert f">{KERNEL_CREATED}</span>" in page  # the kernel's history badge
    assert "Created" not in page and "Updated" not in page


# -- the sign-in page follows the browser until a language is chosen -------------------------

@pytest.mark.parametrize(("accept", "expected", "absent"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "登录", "Sign in"),
    ("zh-TW", "登录", "Sign in"),
    ("en-GB,en;q=0.9,zh;q=0.5", "Sign in", "登录"),
    ("fr-FR, zh;q=0.7", "登录", "Sign in"),
    ("", "Sign in", "登录"),
])
def test_the_sign_in_page_follows_the_browsers_language(client, accept, expected, absent):
    page = client.get("/login", headers={"Accept-Language": accept})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Accept-Language" in page.headers["Vary"]  # a shared cache keeps one per language
    assert f"<h1 class=\"h3 mb-3\">{expected}</h1>" in html and absent not in html


def test_a_language_cookie_wins_over_the_browser_on_the_sign_in_page(crm_app):
    client = crm_app.test_client()
    client.set_cookie("crm_lang", "en")
    html = client.get("/login", headers=ZH).get_data(as_text=True)
    assert ">Sign in</h1>" in html and "登录" not in html


def test_a_signed_in_users_choice_wins_over_the_browser(crm_app, admin_user):
    client = login(crm_app.test_client(), admin_user)
    html = client.get("/", headers=ZH).get_data(as_text=True)
    assert 'lang="zh-CN"' in html
