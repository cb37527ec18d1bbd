"""Translations: every message of the kernel and of each plugin has a Chinese translation,
the catalog tools work, and the language is chosen as users expect."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

from crm_core import i18n_catalogs as catalogs
from crm_core.i18n import normalize_locale
from crm_core.testing import invoke_cli

TRANSLATED = catalogs.TRANSLATED_LOCALES


# -- completeness: a newly added untranslated string fails here ----------------------------

@pytest.mark.parametrize("locale", TRANSLATED)
def test_kernel_catalog_translates_every_message_of_the_kernel(locale):
    result = catalogs.check(catalogs.kernel_sources(), locale)
    assert result.complete, result.describe()


def _installed_plugins() -> list[catalogs.Sources]:
    return catalogs.plugin_sources()


@pytest.mark.parametrize("sources", _installed_plugins(), ids=lambda sources: sources.name)
@pytest.mark.parametrize("locale", TRANSLATED)
def test_each_installed_plugin_translates_every_message_of_its_own(sources, locale):
    result = catalogs.check(sources, locale)
    assert result.complete, result.describe()


def test_the_example_plugin_has_messages_and_a_chinese_catalog():
    sources = catalogs.find_sources("example")
    messages = {message.id for message in catalogs.extract(sources) if message.id}
    assert {"Notes", "Notes per day", "Title", "Mark done"} <= messages
    assert sources.po_path("zh_CN").is_file()


def test_catalogs_have_no_broken_placeholders():
    for sources in [catalogs.kernel_sources(), *catalogs.plugin_sources()]:
        for locale in TRANSLATED:
            path = sources.po_path(locale)
            if not path.exists():
                continue
            catalog = catalogs.read_catalog(path, locale)
            problems = [(message.id, errors) for message, errors in catalog.check()]
            assert problems == [], f"{path}: {problems}"


# -- the tools -------------------------------------------------------------------------------

@pytest.fixture
def package(tmp_path: Path) -> catalogs.Sources:
    """A small plugin package with a Python message, a lazy label and a template message."""
    root = tmp_path / "demo_plugin"
    (root / "templates" / "demo").mkdir(parents=True)
    (root / "static").mkdir()
    (root / "__init__.py").write_text("")
    (root / "views.py").write_text(textwrap.dedent('''
        from flask_babel import gettext as _, lazy_gettext as _l, ngettext

        LABEL = _l("Orders")

        def flash_saved(n):
            return _("Saved.") + ngettext("%(num)d order", "%(num)d orders", n)
    '''))
    (root / "templates" / "demo" / "page.html").write_text(
        '{% extends "core/base.html" %}{% block content %}'
        '<h1>{{ _("Hello %(name)s", name=user) }}</h1>{% endblock %}')
    (root / "static" / "ignored.py").write_text('_("Not a source")')
    return catalogs.Sources("demo", root)


def test_extract_finds_python_lazy_plural_and_template_messages(package):
    ids = {message.id for message in catalogs.extract(package) if message.id}
    assert ids == {"Orders", "Saved.", ("%(num)d order", "%(num)d orders"), "Hello %(name)s"}


def test_a_new_untranslated_message_is_reported_until_translated(package):
    result = catalogs.check(package, "zh_CN")
    assert sorted(result.missing, key=str) == sorted(["Hello %(name)s", "Orders", "Saved.",
                                                      "%(num)d order"], key=str)
    assert "missing from the catalog" in result.describe() and "'Orders'" in result.describe()

    [path] = catalogs.update(package)
    result = catalogs.check(package, "zh_CN")
    assert result.missing == [] and len(result.untranslated) == 4

    _translate(path, {"Orders": "订单", "Saved.": "已保存。", "Hello %(name)s": "你好，%(name)s",
                      "%(num)d order": ("%(num)d 个订单",)})
    assert catalogs.check(package, "zh_CN").complete


def test_update_keeps_translations_and_marks_a_changed_message_fuzzy(package):
    [path] = catalogs.update(package)
    _translate(path, {"Orders": "订单", "Saved.": "已保存。", "Hello %(name)s": "你好，%(name)s",
                      "%(num)d order": ("%(num)d 个订单",)})
    views = package.package / "views.py"
    views.write_text(views.read_text().replace('"Saved."', '"Saved!"'))
    catalogs.update(package)
    catalog = catalogs.read_catalog(path, "zh_CN")
    assert catalog.get("Orders").string == "订单"
    assert catalog.get("Saved!").fuzzy
    result = catalogs.check(package, "zh_CN")
    assert result.fuzzy == ["Saved!"]


def test_compile_writes_catalogs_flask_babel_reads(package):
    [path] = catalogs.update(package)
    _translate(path, {"Orders": "订单", "Saved.": "已保存。", "Hello %(name)s": "你好，%(name)s",
                      "%(num)d order": ("%(num)d 个订单",)})
    [mo] = catalogs.compile_all([package])
    assert mo == path.with_suffix(".mo")
    translations = Translations.load(str(package.translations), ["zh_Hans_CN", "zh_CN"])
    assert translations.gettext("Orders") == "订单"
    assert translations.ngettext("%(num)d order", "%(num)d orders", 5) == "%(num)d 个订单"


def test_compile_refuses_a_translation_that_would_break_at_run_time(package):
    [path] = catalogs.update(package)
    _translate(path, {"Hello %(name)s": "你好，%(user)s"})
    with pytest.raises(catalogs.CatalogError, match="Hello %\\(name\\)s"):
        catalogs.compile_all([package])


def test_crm_i18n_commands_work_for_an_installed_plugin(crm_install_plugin, crm_make_app):
    site = crm_install_plugin("lingo", '''
        from flask_babel import lazy_gettext as _l
        from crm_core.toolkit import MenuItem, PluginInfo, hookimpl

        PLUGIN = PluginInfo(name="lingo", version="0.1", title="Lingo")
        GREETING = _l("Good morning")
    ''')
    app = crm_make_app(plugins=["lingo"], migrate=False)
    package = site / "lingo_plugin"

    result = invoke_cli(app, "i18n", "extract", "--plugin", "lingo")
    assert result.exit_code == 0, result.output
    assert "Extracted 1 messages of lingo" in result.output
    assert (package / "translations" / "messages.pot").is_file()

    result = invoke_cli(app, "i18n", "update", "--plugin", "lingo")
    assert result.exit_code == 0 and "1 messages to translate" in result.output
    result = invoke_cli(app, "i18n", "check", "--plugin", "lingo")
    assert result.exit_code == 1 and "'Good morning'" in result.output

    po = package / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    _translate(po, {"Good morning": "早上好"})
    assert invoke_cli(app, "i18n", "check", "--plugin", "lingo").exit_code == 0
    result = invoke_cli(app, "i18n", "compile", "--plugin", "lingo")
    assert result.exit_code == 0 and po.with_suffix(".mo").is_file()

    unknown = invoke_cli(app, "i18n", "extract", "--plugin", "nope")
    assert unknown.exit_code != 0 and "plugin 'nope' is not installed" in unknown.output


def test_compile_command_compiles_the_kernel_and_every_installed_plugin(crm_app):
    result = invoke_cli(crm_app, "i18n", "compile")
    assert result.exit_code == 0, result.output
    assert "crm_core/translations/zh_CN/LC_MESSAGES/messages.mo" in result.output
    assert "crm_plugin_example/translations/zh_CN/LC_MESSAGES/messages.mo" in result.output


def _translate(path: Path, strings: dict) -> None:
    from babel.messages.pofile import write_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in strings:
            message.string = strings[key]
            message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog)


# -- choosing the language -------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "locale"), [
    ("zh", "zh_CN"), ("zh-CN", "zh_CN"), ("zh_CN", "zh_CN"), ("zh-Hans", "zh_CN"),
    ("zh-Hans-CN", "zh_CN"), ("zh-TW", "zh_CN"), ("ZH-hk", "zh_CN"), ("en", "en"),
    ("en-GB", "en"), ("fr", None), ("", None), (None, None), ("*", None),
])
def test_language_tags_map_to_the_two_catalogs(tag, locale):
    assert normalize_locale(tag) == locale


@pytest.mark.crm_plugins()
def test_the_kernels_role_names_show_in_chinese_without_any_plugin(crm_app, admin_client):
    """Role names are the kernel's words: Chinese on the roles page and in the approval
    step's role list even when no plugin (whose catalogs might carry them) is enabled."""
    zh = {"Accept-Language": "zh-CN"}
    roles = admin_client.get("/admin/roles", headers=zh).get_data(as_text=True)
    assert "销售代表" in roles and "只读用户" in roles and "负责自己的客户和商机。" in roles
    assert "Sales rep" not in roles
    steps = admin_client.get("/admin/approvals/new", headers=zh).get_data(as_text=True)
    assert ">经理</option>" in steps and ">Manager</option>" not in steps
