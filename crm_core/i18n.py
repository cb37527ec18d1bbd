"""Chinese and English: Flask-Babel with the user's language, else ``Accept-Language``.

The kernel's catalog (``crm_core/translations``) and every enabled plugin's ``translations/``
folder are ``messages`` catalogs; each plugin's code and templates read its own catalog first
and the kernel's for the rest, the kernel's read the kernel's (``crm_core.i18n_domains``).
Compiling the catalogs is ``crm i18n compile`` (see ``crm_core.i18n_catalogs``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import flask_babel
from babel import support
from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, Domain, force_locale, get_locale, gettext
from flask_login import current_user

from . import i18n_domains as domains

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
DEFAULT_LOCALE = "en"
LANG_COOKIE = "crm_lang"
KERNEL_TRANSLATIONS = Path(__file__).resolve().parent / "translations"


class CatalogDomain(Domain):
    """The ``messages`` catalogs, one domain per plugin (see ``crm_core.i18n_domains``).

    Three changes to Flask-Babel's own: the catalog is the caller's domain (the kernel's for
    ``crm_core``, a plugin's own, falling back to the kernel's, for a plugin's code and
    templates); Babel names the Chinese locale ``zh_Hans_CN`` while the catalogs live in
    ``zh_CN`` folders, so both names are tried; and the loaded catalogs are cached per app
    (each app has its own plugins), not once per process.
    """

    def get_translations_cache(self, ctx: Any) -> dict[Any, Any]:
        return current_app.extensions.setdefault("crm_translations", {})

    def get_translations(self) -> support.NullTranslations:
        if not has_app_context():
            return support.NullTranslations()
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        return domain_translations(domains.current_domain(app))


def domain_translations(domain: str) -> support.NullTranslations:
    """The current locale's catalog of ``domain`` (``core`` or an enabled plugin's name).

    Remembered for the app context (one request) while its locale stays the same object:
    ``force_locale`` and ``flask_babel.refresh`` put another there, and the app's catalogs
    answer again.
    """
    state = g._get_current_object().__dict__  # type: ignore[attr-defined]
    # Flask-Babel keeps the request's locale (or force_locale's) there; else it chooses it
    locale = getattr(state.get("_flask_babel"), "babel_locale", None) or get_locale()
    memo = state.get("_crm_i18n")
    if memo is None or memo[0] is not locale:
        memo = state["_crm_i18n"] = (locale, {})
    found = memo[1].get(domain)
    if found is None:
        found = memo[1][domain] = _app_translations(str(locale), domain)
    return found


def _app_translations(locale: str, domain: str) -> support.NullTranslations:
    cache = current_app.extensions.setdefault("crm_translations", {})
    key = (locale, domain)
    if key not in cache:
        names = [locale, normalize_locale(locale) or DEFAULT_LOCALE]
        folders = current_app.extensions["crm_translation_folders"]
        cache[key] = domains.build_domain(folders, domain, names)
    return cache[key]


def _install_template_gettext(app: Flask) -> None:
    """Templates' ``_()``/``gettext``… straight to the catalogs (Flask-Babel's go through
    ``get_domain()`` on every call; this app has one domain instance)."""
    catalogs = babel.domain_instance
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: catalogs.get_translations().ugettext(s),
        ngettext=lambda s, p, n: catalogs.get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalogs.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogs.get_translations().unpgettext(c, s, p, n),
    )


def _get_domain() -> Domain:
    """Flask-Babel's ``get_domain()`` (each ``gettext``'s first step): every app here has the
    one ``CatalogDomain``, which answers without an app too (with no translations)."""
    return babel.domain_instance


domains.install_lazy_strings()
babel = Babel()
babel.domain_instance = CatalogDomain(domain="messages")  # type: ignore[misc]
flask_babel.get_domain = _get_domain


def normalize_locale(tag: str | None) -> str | None:
    """The supported locale a language tag means, or None.

    Any Chinese tag (``zh``, ``zh-CN``, ``zh_cn``, ``zh-Hans``, ``zh-TW``…) means ``zh_CN``, the
    only Chinese catalog; any English one (``en``, ``en-GB``…) means ``en``.
    """
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    if primary == "zh":
        return "zh_CN"
    if primary == "en":
        return "en"
    return None


def asked_language() -> str | None:
    """The locale a public page's ``?lang=`` asks for (``zh-CN``, ``en``…), or None."""
    return normalize_locale(request.args.get("lang", "")[:20])


def in_every_language(text: Any) -> list[str]:
    """``text`` (a lazy string) as it reads now, then in English and in Chinese: for
    matching what people type or a file says against a label ("潜在客户" and "Prospect"
    both name the status ``prospect``). Outside an app, ``text`` as it is."""
    found = [str(text)]
    for locale in LANGUAGES:
        try:
            with force_locale(locale):
                found.append(str(text))
        except RuntimeError:  # no app or request: the text as it is
            break
    return found


@contextmanager
def page_language() -> Iterator[None]:
    """Render in the language ``?lang=`` asks for, else the one the kernel chooses (the
    user's, then Accept-Language): for public pages reached from a link in a mail."""
    asked = asked_language()
    with force_locale(asked) if asked else nullcontext():
        yield


def best_accept_language() -> str | None:
    """The first supported language of the request's ``Accept-Language``, by quality."""
    for tag, _quality in request.accept_languages:  # already sorted, best first
        locale = normalize_locale(tag)
        if locale is not None:
            return locale
    return None


def select_locale() -> str:
    """The user's chosen language, else a ``crm_lang`` cookie, else the browser's best match.

    Outside a request (CLI, Celery worker) the default language, English.
    """
    if not has_request_context():
        return DEFAULT_LOCALE
    if current_user.is_authenticated:
        chosen = normalize_locale(getattr(current_user, "locale", None))
        if chosen is not None:
            return chosen
    return (normalize_locale(request.cookies.get(LANG_COOKIE)) or best_accept_language()
            or DEFAULT_LOCALE)


def current_locale() -> str:
    """The locale of the current request as a catalog name (``en`` or ``zh_CN``)."""
    return normalize_locale(str(get_locale() or "")) or DEFAULT_LOCALE


def html_lang() -> str:
    """The ``<html lang>`` value of the current locale (``en``, ``zh-CN``)."""
    return current_locale().replace("_", "-")


def translate(value: Any) -> str:
    """Show ``value`` in the user's language.

    Plugins give labels (menu items, widget titles, search kinds) either as lazy strings
    (``lazy_gettext``), which translate themselves in their plugin's domain, or as plain strings
    marked for extraction with a no-op ``N_(...)``, which are looked up here in the domain of
    the caller (a kernel page: the kernel's catalog, then the plugins').
    """
    if value is None:
        return ""
    if hasattr(value, "translated"):  # a label composed of texts (resources' ActionLabel)
        return str(value.translated())
    if isinstance(value, str):
        return gettext(value) if value else value
    return str(value)


def translation_folders(app: Flask) -> dict[str, str]:
    """Each domain's catalog folder: ``core`` first, then every enabled plugin that has one."""
    folders = {domains.KERNEL_DOMAIN: str(KERNEL_TRANSLATIONS)}
    for record in app.extensions["crm"].enabled:
        if record.package_path is not None and (record.package_path / "translations").is_dir():
            folders[record.name] = str(record.package_path / "translations")
    return folders


def translation_directories(app: Flask) -> list[str]:
    """The kernel's catalog folder and every enabled plugin's ``translations/`` folder."""
    return list(translation_folders(app).values())


def _template_helpers() -> dict[str, Any]:
    return {"crm_languages": LANGUAGES, "crm_locale": current_locale, "crm_html_lang": html_lang,
            "crm_text": translate}


def _vary_on_language(response: Response) -> Response:
    """A page's language may come from ``Accept-Language``: caches must keep one per language."""
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
    return response


def init_app(app: Flask) -> None:
    """Install Flask-Babel with every enabled plugin's catalogs."""
    app.extensions["crm_translation_folders"] = translation_folders(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories(app))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    babel.init_app(app, locale_selector=select_locale)
    _install_template_gettext(app)
    app.context_processor(_template_helpers)
    app.after_request(_vary_on_language)
