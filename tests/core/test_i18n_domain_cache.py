"""The translation domain is resolved once per code object and the catalogs once per request:
a plugin's text still reads as the plugin's, the kernel's as the kernel's, however often and in
whatever order they are asked for, and the language still follows each request.

"Created" is 已创建 in the kernel's catalog and 创建时间 in the example plugin's.
"""

from __future__ import annotations

from pathlib import Path

import crm_plugin_example
import flask_babel
from flask_babel import force_locale

import crm_core
from crm_core.testing import login

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
KERNEL_CREATED, PLUGIN_CREATED = "已创建", "创建时间"


def _function_in(folder: Path, name: str):  # type: ignore[no-untyped-def]
    """``created()`` compiled as if written in a module of ``folder`` (``gettext`` inside)."""
    namespace = {"gettext": flask_babel.gettext}
    source = "def created():\n    return gettext('Created')\n"
    exec(compile(source, str(folder / name), "exec"), namespace)  # noqa: S102 - fixed source
    return namespace["created"]


def test_a_plugins_and_the_kernels_texts_keep_their_domains_call_after_call(crm_app):
    """Asked in turns, many times, each function's text stays in its own package's domain."""
    plugin_created = _function_in(Path(crm_plugin_example.__file__).parent, "texts.py")
    kernel_created = _function_in(Path(crm_core.__file__).parent, "texts.py")
    with crm_app.test_request_context("/", headers=ZH):
        seen = [(plugin_created(), kernel_created(), flask_babel.gettext("Created"))
                for _ in range(3)]
    assert seen == [(PLUGIN_CREATED, KERNEL_CREATED, KERNEL_CREATED)] * 3


def test_a_forced_language_inside_a_request_is_followed_and_then_left(crm_app):
    """``force_locale`` (e-mails in the recipient's language) changes the catalog at once and
    gives the request's own back afterwards."""
    plugin_created = _function_in(Path(crm_plugin_example.__file__).parent, "texts.py")
    with crm_app.test_request_context("/", headers=ZH):
        assert plugin_created() == PLUGIN_CREATED
        with force_locale("en"):
            assert plugin_created() == "Created"
            assert flask_babel.gettext("Created") == "Created"
        assert plugin_created() == PLUGIN_CREATED
        assert flask_babel.gettext("Created") == KERNEL_CREATED


def test_the_menu_follows_each_requests_language(crm_app, admin_user):
    """The sidebar (kept per app and language) shows the plugin's menu entry in the reader's
    language, request after request, language after language."""
    client = login(crm_app.test_client(), admin_user)
    pages = [client.get("/", headers=headers).get_data(as_text=True)
             for headers in (EN, ZH, EN, ZH)]
    for english, chinese in ((pages[0], pages[1]), (pages[2], pages[3])):
        assert '<span class="crm-nav-label">Notes</span>' in english
        assert '<span class="crm-nav-label">笔记</span>' in chinese
        assert '<span class="crm-nav-label">Notes</span>' not in chinese
