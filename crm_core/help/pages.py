"""The manual's pages: the kernel's own (``docs/manual``) and those plugins contribute.

A plugin ships help with the ``crm_help_pages`` hook, returning ``toolkit.HelpPage``
entries. Each page is one Markdown file per language (``<folder>/<locale>/<file>``) with its
images in ``<folder>/img/``; its ``endpoints`` say which pages of the app it explains, so
the "?" link of the header opens the right section. The pages are collected when the help
blueprint is registered: an id outside the plugin's name, or one registered twice, stops
the start like any other registry entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

from ..errors import RegistryError
from ..i18n import current_locale
from ..plugins import KERNEL_NAME, collect

EXTENSION = "crm_help_pages"
#: the languages a page is looked for in, after the user's own
FALLBACK_LOCALES = ("zh_CN", "en")


@dataclass(frozen=True)
class HelpPage:
    """One page of the manual.

    ``id`` names it in ``/help/<id>`` (a plugin's ids start with ``<plugin>.``); the page is
    ``<folder>/<locale>/<file>`` (``zh_CN`` and ``en``; a missing language falls back to
    Chinese, then English) and its images are in ``<folder>/img/``. ``endpoints`` maps an
    endpoint (``"sales_kanban.board"``) or a whole blueprint (``"sales_kanban"``) to the
    section explaining it: a heading's id (``## Kanban {#kanban}``), or ``""`` for the top.
    ``order`` sorts the contents; ``requires`` hides the page unless that plugin is enabled
    (for the kernel's manual, which describes the built-in plugins).
    """

    id: str
    folder: Path
    file: str
    endpoints: Mapping[str, str] = field(default_factory=dict)
    order: int = 100
    requires: str | None = None

    def source(self, locale: str) -> Path | None:
        """The Markdown file in ``locale``, else in a fallback language, else None."""
        for language in (locale, *FALLBACK_LOCALES):
            path = Path(self.folder) / language / self.file
            if path.is_file():
                return path
        return None


@dataclass
class HelpRegistry:
    """The enabled pages in order, and where each endpoint's help is."""

    pages: dict[str, HelpPage]
    #: endpoint or blueprint -> (page id, section id)
    targets: dict[str, tuple[str, str]]


def register_pages(app: Flask) -> HelpRegistry:
    """Collect the enabled plugins' help pages onto ``app``; raises RegistryError for a
    wrong entry, an id outside its plugin's name, or an id registered twice."""
    platform = app.extensions["crm"]
    enabled = set(platform.names)
    found: dict[str, tuple[str, HelpPage]] = {}
    for plugin, item in collect(platform.pm, EXTENSION):
        if not isinstance(item, HelpPage):
            raise RegistryError(f"plugin {plugin!r}: {EXTENSION} returned {item!r}, "
                                "expected toolkit.HelpPage")
        if plugin != KERNEL_NAME and not item.id.startswith(f"{plugin}."):
            raise RegistryError(f"plugin {plugin!r}: help page {item.id!r} must start with "
                                f"'{plugin}.'")
        if item.id in found:
            raise RegistryError(f"help page {item.id!r} is registered twice: by plugin "
                                f"{found[item.id][0]!r} and by plugin {plugin!r}")
        found[item.id] = (plugin, item)
    pages = sorted((item for _plugin, item in found.values()
                    if item.requires is None or item.requires in enabled),
                   key=lambda item: (item.order, item.id))
    targets: dict[str, tuple[str, str]] = {}
    for page in pages:  # the first page claiming an endpoint keeps it
        for endpoint, section in page.endpoints.items():
            targets.setdefault(endpoint, (page.id, section))
    registry = HelpRegistry({page.id: page for page in pages}, targets)
    app.extensions[EXTENSION] = registry
    return registry


def help_registry() -> HelpRegistry:
    """The running app's help pages."""
    registry = current_app.extensions.get(EXTENSION)
    if registry is None:
        registry = register_pages(current_app)
    return registry


def help_target(endpoint: str | None) -> tuple[str, str] | None:
    """The (page id, section id) explaining ``endpoint``: the endpoint's own entry, else its
    blueprint's, else None."""
    if not endpoint:
        return None
    targets = help_registry().targets
    return targets.get(endpoint) or targets.get(endpoint.rsplit(".", 1)[0])


def page_source(page: HelpPage) -> Path | None:
    """The file of ``page`` in the current user's language (or a fallback)."""
    return page.source(current_locale())
