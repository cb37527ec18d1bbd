"""Translation domains: the kernel's texts use the kernel's catalog, a plugin's texts its own.

Every catalog is still a ``messages`` catalog in its package's ``translations/`` folder, and
plugins still call Flask-Babel's ``gettext``/``lazy_gettext`` (or templates ``_()``). What
changes is which catalog answers: the domain is decided by the file the text comes from.

- a call made from a Python module or a Jinja template inside an enabled plugin's package
  uses that plugin's domain: its own catalog first, then the kernel's (then other plugins');
- a call from anywhere else (``crm_core``) uses the kernel's domain: the kernel's catalog
  first, then the plugins' (so an ``N_`` string a plugin hands to the kernel still shows
  translated), but a plugin can no longer change one of the kernel's texts;
- a lazy string (``lazy_gettext``/``_l``) remembers the file that created it, so a plugin's
  Resource field label shown by a kernel template is still looked up in the plugin's domain.

The file is found by walking the call stack past Flask-Babel, Babel, Jinja and this package's
own i18n modules; templates are found by their compiled code's file name, which is the template
file itself, so a kernel layout block or macro shown on a plugin's page keeps the kernel's texts.
Each code object's domain (or that it is plumbing) is decided once per app and remembered, so a
call costs a few table lookups; the catalogs are picked once per request and locale (``i18n``).
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import flask_babel
from babel import support
from flask import Flask
from flask_babel.speaklater import LazyString

KERNEL_DOMAIN = "core"

# Modules whose frames are plumbing between the caller and the catalog, never the caller.
_PLUMBING = ("flask_babel", "babel", "jinja2", "markupsafe", "crm_core.i18n")
_forced_file: ContextVar[str | None] = ContextVar("crm_i18n_forced_file", default=None)


# Keyed by id(code) with the code kept beside it (so the id is never reused): code objects
# compare by value, and two templates' or modules' equal functions are not the same file.
_plumbing_code: dict[int, tuple[Any, bool]] = {}  # -> (code, is plumbing): a code's module is fixed


def _is_plumbing(frame: Any) -> bool:
    code = frame.f_code
    known = _plumbing_code.get(id(code))
    if known is None or known[0] is not code:
        name = frame.f_globals.get("__name__")
        # a compiled Jinja template has no __name__: its co_filename is the template's file
        known = _plumbing_code[id(code)] = (code, name is not None and name.startswith(_PLUMBING))
    return known[1]


def calling_file() -> str | None:
    """The file of the nearest calling frame that is not translation plumbing."""
    frame: Any = sys._getframe(1)
    while frame is not None:
        if not _is_plumbing(frame):
            return frame.f_code.co_filename
        frame = frame.f_back
    return None


def domain_of_file(app: Flask, filename: str | None) -> str:
    """The enabled plugin whose package holds ``filename`` (a module or template), else core."""
    if not filename:
        return KERNEL_DOMAIN
    cache = app.extensions.setdefault("crm_i18n_file_domains", {})
    if filename not in cache:
        real = os.path.realpath(filename)
        domain = KERNEL_DOMAIN
        for record in app.extensions["crm"].enabled:
            root = record.package_path
            if root is not None and real.startswith(str(root) + os.sep):
                domain = record.name
                break
        cache[filename] = domain
    return cache[filename]


def current_file() -> str | None:
    """The file whose texts are being translated now: a lazy string's creator, else the caller."""
    return _forced_file.get() or calling_file()


def current_domain(app: Flask) -> str:
    """The domain of the texts being translated now (``current_file``'s), resolved once per
    code object: each calling frame costs one lookup in a per-app table (which domain a file
    belongs to depends on the app's enabled plugins), not a test of its module and path."""
    forced = _forced_file.get()
    if forced:
        return domain_of_file(app, forced)
    codes = app.extensions.get("crm_i18n_code_domains")
    if codes is None:
        codes = app.extensions["crm_i18n_code_domains"] = {}
    frame: Any = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        known = codes.get(id(code))
        if known is None or known[0] is not code:  # a domain, or None for plumbing
            known = codes[id(code)] = (code, None if _is_plumbing(frame)
                                       else domain_of_file(app, code.co_filename))
        if known[1] is not None:
            return known[1]
        frame = frame.f_back
    return KERNEL_DOMAIN


class DomainLazyString(LazyString):
    """Flask-Babel's lazy string, translated in the domain of the file that created it."""

    def __init__(self, func: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(func, *args, **kwargs)
        self._crm_file = calling_file()

    def __str__(self) -> str:
        token = _forced_file.set(self._crm_file)
        try:
            return super().__str__()
        finally:
            _forced_file.reset(token)


def install_lazy_strings() -> None:
    """Make Flask-Babel's ``lazy_gettext`` & co. create domain-aware lazy strings.

    Flask-Babel's lazy helpers look ``LazyString`` up in their module when called, so setting
    it once makes every later ``_l(...)`` (at a plugin's import time, too) remember its file.
    """
    flask_babel.LazyString = DomainLazyString  # type: ignore[misc]


def _load(folder: Path | str, names: list[str]) -> support.Translations:
    return support.Translations.load(str(folder), names, "messages")


def _merge(into: support.Translations, catalog: Any) -> None:
    into.merge(catalog)
    if hasattr(catalog, "plural"):  # merge() leaves the plural rule behind
        into.plural = catalog.plural


def build_domain(folders: dict[str, str], domain: str, names: list[str]
                 ) -> support.Translations:
    """One domain's catalog: other plugins', then the kernel's, then the domain's own on top.

    ``folders`` maps every domain (``core`` and each enabled plugin, in load order) to its
    ``translations`` folder; later merges win, so the domain's own msgstr always answers.
    """
    translations = support.Translations()
    for name, folder in folders.items():
        if name not in (KERNEL_DOMAIN, domain):
            _merge(translations, _load(folder, names))
    _merge(translations, _load(folders[KERNEL_DOMAIN], names))
    if domain != KERNEL_DOMAIN and domain in folders:
        _merge(translations, _load(folders[domain], names))
    return translations
