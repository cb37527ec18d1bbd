"""Message catalogs: extract, update and compile with Babel's own API (no ``pybabel`` needed).

The kernel's sources are ``crm_core/`` and its catalogs ``crm_core/translations``; a plugin's
sources are its package folder and its catalogs ``<package>/translations``. Every catalog file
is named ``messages``; at run time each package's catalog is its own domain (the plugin's name,
``core`` for the kernel; see ``crm_core.i18n_domains``). English is the source language (the
msgids), so only the other languages (``TRANSLATED_LOCALES``) have ``.po`` files.
``.mo`` files are build output.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from .errors import CrmError

DOMAIN = "messages"
TRANSLATED_LOCALES = ("zh_CN",)
KERNEL_NAME = "core"
KERNEL_SOURCES = Path(__file__).resolve().parent

# ``_l`` / ``lazy_gettext`` for form labels and other import-time strings; ``N_`` marks a
# plain string (a search kind, a menu label) that the kernel translates when it shows it.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
METHOD_MAP = [
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**/templates/**.txt", "jinja2.ext:babel_extract"),
]
OPTIONS_MAP = {
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "silent": "false"},
    "**/templates/**.txt": {"extensions": "jinja2.ext.i18n", "silent": "false"},
}
HEADER_COMMENT = ("# Translations of PROJECT, the CRM platform.\n"
                  "# Update with `crm i18n update`; compile with `crm i18n compile`.\n#")
SKIPPED_FOLDERS = {"static", "translations", "migrations", "node_modules", "tests", "vendor"}


class CatalogError(CrmError):
    """A catalog cannot be built: an unknown plugin, or a translation that breaks at run time."""


@dataclass(frozen=True)
class Sources:
    """What to extract from (a package folder) and where its catalogs live."""

    name: str
    package: Path

    @property
    def translations(self) -> Path:
        return self.package / "translations"

    def po_path(self, locale: str) -> Path:
        return self.translations / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@dataclass
class CatalogCheck:
    """How a locale's catalog compares with the sources' msgids."""

    name: str
    locale: str
    missing: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.untranslated or self.fuzzy)

    def describe(self) -> str:
        """A report a developer can act on: which msgids to translate where."""
        lines = [f"{self.name} [{self.locale}]: catalog incomplete "
                 "(run `crm i18n update" + ("" if self.name == KERNEL_NAME else
                                            f" --plugin {self.name}") + "` and translate):"]
        for title, ids in (("missing from the catalog", self.missing),
                           ("without a translation", self.untranslated),
                           ("marked fuzzy", self.fuzzy)):
            if ids:
                lines.append(f"  {len(ids)} {title}:")
                lines.extend(f"    {msgid!r}" for msgid in ids)
        return "\n".join(lines)


def kernel_sources() -> Sources:
    """The kernel's sources and catalogs."""
    return Sources(KERNEL_NAME, KERNEL_SOURCES)


def plugin_sources(known: dict[str, object] | None = None) -> list[Sources]:
    """Every installed plugin that can be imported, by name (built-in and third-party)."""
    if known is None:
        from .plugins import discover

        known = discover()  # type: ignore[assignment]
    found = []
    for name in sorted(known):  # type: ignore[arg-type]
        path = getattr(known[name], "package_path", None)  # type: ignore[index]
        if path is not None:
            found.append(Sources(name, path))
    return found


def find_sources(plugin: str | None) -> Sources:
    """The kernel's sources (``plugin`` None or ``core``) or those of an installed plugin."""
    if plugin in (None, KERNEL_NAME):
        return kernel_sources()
    for sources in plugin_sources():
        if sources.name == plugin:
            return sources
    raise CatalogError(f"plugin {plugin!r} is not installed (or cannot be imported)")


def _keep_folder(path: str) -> bool:
    name = os.path.basename(path)
    return not (name.startswith((".", "_")) or name in SKIPPED_FOLDERS)


def _message_id(message: str | tuple[str, ...]) -> str:
    return message[0] if isinstance(message, tuple) else message


def extract(sources: Sources) -> Catalog:
    """Every translatable message in the sources' Python files and Jinja templates."""
    catalog = Catalog(project=f"crm {sources.name}", version="0.1", charset="utf-8",
                      fuzzy=False)
    root = sources.package
    for filename, lineno, message, comments, context in extract_from_dir(
            root, METHOD_MAP, OPTIONS_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True, directory_filter=_keep_folder):
        if not _message_id(message):
            continue
        location = (f"{root.name}/{filename}", lineno)
        catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` so a reader (another test, a starting server) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, include_previous=True)
    return buffer.getvalue()


def write_template(sources: Sources) -> Path:
    """Extract and write ``translations/messages.pot``; returns its path."""
    path = sources.translations / f"{DOMAIN}.pot"
    _write_atomic(path, _po_bytes(extract(sources)))
    return path


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    """Read a ``.po`` or ``.pot`` file."""
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, domain=DOMAIN)


def update(sources: Sources, locales: tuple[str, ...] = TRANSLATED_LOCALES) -> list[Path]:
    """Merge the sources' current msgids into each locale's ``.po`` (created when missing).

    New msgids arrive untranslated; changed ones close to an old one arrive fuzzy with the old
    translation as a suggestion; msgids gone from the sources become obsolete entries.
    """
    template = extract(sources)
    written = []
    for locale in locales:
        path = sources.po_path(locale)
        if path.exists():
            catalog = read_catalog(path, locale)
            catalog.update(template, update_creation_date=False)
        else:
            catalog = Catalog(locale=Locale.parse(locale), domain=DOMAIN,
                              project=template.project, version="0.1",
                              copyright_holder="the CRM platform's authors",
                              header_comment=HEADER_COMMENT, charset="utf-8", fuzzy=False,
                              msgid_bugs_address="", last_translator="CRM platform developers",
                              language_team=locale)
            for message in template:
                if message.id:
                    catalog[message.id] = Message(
                        message.id, "" if not message.pluralizable else
                        ("",) * catalog.num_plurals, locations=message.locations,
                        flags=message.flags, auto_comments=message.auto_comments,
                        context=message.context)
        _write_atomic(path, _po_bytes(catalog))
        written.append(path)
    return written


def _po_files(sources: Sources) -> Iterator[tuple[str, Path]]:
    if not sources.translations.is_dir():
        return
    for path in sorted(sources.translations.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        yield path.parent.parent.name, path


def compile_catalogs(sources: Sources) -> list[Path]:
    """Compile every ``.po`` of the sources to ``.mo`` (fuzzy entries left out).

    Raises CatalogError when a translation would break at run time (a placeholder that the
    msgid does not have), naming the file and the msgid.
    """
    compiled = []
    for locale, path in _po_files(sources):
        catalog = read_catalog(path, locale)
        problems = [f"{path}:{message.lineno}: {message.id!r}: {error}"
                    for message, errors in catalog.check() for error in errors]
        if problems:
            raise CatalogError("broken translations:\n" + "\n".join(problems))
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        target = path.with_suffix(".mo")
        _write_atomic(target, buffer.getvalue())
        compiled.append(target)
    return compiled


def compile_all(sources: list[Sources] | None = None) -> list[Path]:
    """Compile the kernel's catalogs and every installed plugin's."""
    every = sources if sources is not None else [kernel_sources(), *plugin_sources()]
    return [path for each in every for path in compile_catalogs(each)]


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    return all(strings)


def check(sources: Sources, locale: str) -> CatalogCheck:
    """Which of the sources' msgids the locale's catalog lacks, leaves empty or marks fuzzy."""
    result = CatalogCheck(sources.name, locale)
    template = extract(sources)
    wanted = [(message.id, message.context) for message in template if message.id]
    if not wanted:
        return result
    path = sources.po_path(locale)
    catalog = read_catalog(path, locale) if path.exists() else Catalog(locale=locale)
    for msgid, context in wanted:
        shown = _message_id(msgid)
        message = catalog.get(msgid, context=context)
        if message is None:
            result.missing.append(shown)
        elif not _translated(message):
            result.untranslated.append(shown)
        elif message.fuzzy:
            result.fuzzy.append(shown)
    return result
