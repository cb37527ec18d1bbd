"""Where templates are found: a plugin may override a kernel template and still extend it.

Flask looks in the app's own folder (the kernel's ``crm_core/templates``) before any
blueprint's, so a plugin could never replace ``core/home.html``. This loader looks in the
plugins' template folders first (in plugin load order), then in the kernel's. A name with
a prefix reaches one copy only: ``kernel:core/base.html`` is always the kernel's own, and
``<plugin>:path`` that plugin's, so an override can extend what it replaces (CKAN's
``ckan_extends``)::

    {# my_plugin/templates/core/home.html #}
    {% extends "kernel:core/home.html" %}
    {% block content %}<p>Welcome!</p>{{ super() }}{% endblock %}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask
from jinja2 import BaseLoader, Environment, TemplateNotFound
from jinja2.bccache import Bucket, BytecodeCache

KERNEL_PREFIXES = ("kernel", "core")

SourceResult = tuple[str, str | None, Callable[[], bool] | None]


class PluginFirstLoader(BaseLoader):
    """Plugins' template folders before the kernel's; ``kernel:`` / ``<plugin>:`` prefixes."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _kernel_loaders(self) -> Iterator[BaseLoader]:
        if self.app.jinja_loader is not None:
            yield self.app.jinja_loader
        for plugin, loader in self._blueprint_loaders():
            if plugin == "core":
                yield loader

    def _blueprint_loaders(self) -> Iterator[tuple[str, BaseLoader]]:
        """``(plugin, loader)`` of every registered blueprint with templates, in registration
        (plugin load) order; a blueprint no plugin returned counts as the kernel's."""
        owners = {blueprint.name: plugin for plugin, blueprints
                  in self.app.extensions["crm"].blueprints.items() for blueprint in blueprints}
        for blueprint in self.app.iter_blueprints():
            if blueprint.jinja_loader is not None:
                yield owners.get(blueprint.name, "core"), blueprint.jinja_loader

    def _loaders_for(self, template: str) -> tuple[list[BaseLoader], str]:
        prefix, sep, rest = template.partition(":")
        if sep and prefix in KERNEL_PREFIXES:
            return list(self._kernel_loaders()), rest
        if sep and prefix in self.app.extensions["crm"].names:
            return [loader for plugin, loader in self._blueprint_loaders()
                    if plugin == prefix], rest
        plugins = [loader for plugin, loader in self._blueprint_loaders() if plugin != "core"]
        return [*plugins, *self._kernel_loaders()], template

    def get_source(self, environment: Environment, template: str) -> SourceResult:
        loaders, name = self._loaders_for(template)
        for loader in loaders:
            try:
                return loader.get_source(environment, name)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        for loader in [*self._kernel_loaders(), *(ldr for _, ldr in self._blueprint_loaders())]:
            try:
                names.update(loader.list_templates())
            except TypeError:  # a loader that cannot list
                continue
        return sorted(names)


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for every app of the process (a template's code is found by
    its name, its file and the environment's settings, and used while its source is the same).

    Each app has its own Jinja environment, and an environment compiles each template it
    renders: a process that builds many apps (the test suite builds one per test) parsed and
    compiled the same templates again in each. Code objects are kept as they are (no marshal
    round trip); nothing is written to disk."""

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, Any]] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None,
                   source: str) -> Bucket:
        settings = (sorted(environment.extensions), environment.autoescape,
                    getattr(environment, "newstyle_gettext", None), environment.optimized)
        return super().get_bucket(environment, f"{name}|{settings!r}", filename, source)

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self._codes.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._codes[bucket.key] = (bucket.checksum, bucket.code)


_SHARED_CODE = SharedTemplateCode()


def init_app(app: Flask) -> None:
    """Install the loader (after the blueprints are registered) and the shared template
    code."""
    loader: Any = PluginFirstLoader(app)
    app.jinja_env.loader = loader
    app.jinja_env.bytecode_cache = _SHARED_CODE
