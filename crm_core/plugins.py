"""Plugin discovery, ordering and registration.

Built-in plugins are the packages under ``plugins/``; installed ones are advertised by the
entry point group ``crm.plugins`` (the value names the module holding ``PLUGIN`` and the
hookimpls). Both are read the same way. The enabled ones are registered with a pluggy
manager in dependency order (``requires``, topological, name as tie-break). Anything wrong
raises ``PluginError`` with one line that names the plugin, except in "all installed" mode
(``CRM_PLUGINS`` unset, not strict): there a broken third-party plugin (it fails to import or
to validate, or what it requires is missing or broken) is disabled, logged and reported on
its record (``state == "broken"``) while the rest start.
"""

from __future__ import annotations

import heapq
import importlib
import importlib.metadata
import logging
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pluggy

from . import hookspecs
from .errors import PluginError
from .registry import PluginInfo

ENTRY_POINT_GROUP = "crm.plugins"
BUILTIN_PACKAGE = "plugins"
KERNEL_NAME = "core"

Source = Literal["kernel", "built-in", "entry point"]
State = Literal["enabled", "disabled", "broken"]

log = logging.getLogger(__name__)


@dataclass
class PluginRecord:
    """A known plugin: where it came from, its metadata, and why it cannot load (if so)."""

    name: str
    module_name: str
    source: Source
    module: ModuleType | None = None
    info: PluginInfo | None = None
    error: str | None = None
    enabled: bool = False

    @property
    def package_path(self) -> Path | None:
        """The folder of the plugin's package (holds ``migrations/``, ``templates/``)."""
        if self.module is None or not getattr(self.module, "__file__", None):
            return None
        return Path(self.module.__file__).resolve().parent

    @property
    def migrations_path(self) -> Path | None:
        """``<package>/migrations/versions`` when the plugin ships migrations."""
        path = self.package_path
        if path is None:
            return None
        versions = path / "migrations" / "versions"
        return versions if versions.is_dir() else None

    @property
    def state(self) -> State:
        """``enabled``, ``broken`` (``error`` says why) or ``disabled``."""
        if self.enabled:
            return "enabled"
        return "broken" if self.error else "disabled"

    @property
    def third_party(self) -> bool:
        """Installed from a distribution (entry point), not shipped in ``plugins/``."""
        return self.source == "entry point"


def _builtin_candidates() -> list[PluginRecord]:
    try:
        package = importlib.import_module(BUILTIN_PACKAGE)
    except ImportError:
        return []
    records = []
    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg and not module.name.startswith("_"):
            records.append(PluginRecord(name=module.name, source="built-in",
                                        module_name=f"{BUILTIN_PACKAGE}.{module.name}.plugin"))
    return records


def _entry_point_candidates() -> list[PluginRecord]:
    return [
        PluginRecord(name=ep.name, module_name=ep.value.split(":")[0], source="entry point")
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    ]


def _import(record: PluginRecord) -> None:
    try:
        module = importlib.import_module(record.module_name)
    except Exception as exc:  # a broken plugin must never take the platform down with a traceback
        record.error = f"failed to import {record.module_name}: {type(exc).__name__}: {exc}"
        return
    info = getattr(module, "PLUGIN", None)
    if not isinstance(info, PluginInfo):
        record.error = f"{record.module_name} has no PLUGIN = PluginInfo(...)"
        return
    if info.name != record.name:
        record.error = (f"{record.module_name} declares PLUGIN name {info.name!r} but is "
                        f"registered as {record.name!r}")
        return
    record.module, record.info = module, info


def candidates() -> list[tuple[str, str]]:
    """``(name, module)`` of every plugin that ``discover`` would import, without importing."""
    return [(record.name, record.module_name)
            for record in _builtin_candidates() + _entry_point_candidates()]


def discover() -> dict[str, PluginRecord]:
    """Every known plugin by name, imported; import problems are kept on the record."""
    known: dict[str, PluginRecord] = {}
    for record in _builtin_candidates() + _entry_point_candidates():
        if record.name == KERNEL_NAME:
            raise PluginError(f"plugin {record.name!r}: the name {KERNEL_NAME!r} is the kernel's")
        if record.name in known:
            other = known[record.name]
            raise PluginError(
                f"plugin {record.name!r} is provided twice: by {other.module_name} "
                f"({other.source}) and by {record.module_name} ({record.source})")
        known[record.name] = record
    for record in known.values():
        _import(record)
    return known


def _set_aside(known: dict[str, PluginRecord], names: list[str]) -> list[str]:
    """All-installed mode: leave out broken third-party plugins and those requiring them."""
    kept = list(names)
    changed = True
    while changed:
        changed = False
        for name in list(kept):
            record = known[name]
            if not record.third_party:
                continue
            if record.error is None:
                missing = [r for r in record.info.requires  # type: ignore[union-attr]
                           if r != KERNEL_NAME and r not in kept]
                if missing:
                    why = "broken" if missing[0] in known else "not installed"
                    record.error = f"requires plugin {missing[0]!r}, which is {why}"
            if record.error is not None:
                kept.remove(name)
                changed = True
    return kept


def resolve(known: dict[str, PluginRecord], wanted: list[str] | None,
            lenient: bool = False) -> list[PluginRecord]:
    """The enabled plugins in load order; raises PluginError naming the first bad plugin.

    ``lenient`` (with ``wanted`` None, "all installed") disables broken third-party plugins
    instead of refusing to start; a named plugin that is broken is always refused.
    """
    names = sorted(known) if wanted is None else list(dict.fromkeys(wanted))
    if lenient and wanted is None:
        names = _set_aside(known, names)
    for name in names:
        if name == KERNEL_NAME:
            raise PluginError(f"plugin {name!r} is the kernel, which is always enabled; "
                              "leave it out of CRM_PLUGINS")
        if name not in known:
            choices = ", ".join(sorted(known)) or "none"
            raise PluginError(f"plugin {name!r} is unknown (known plugins: {choices})")
    for name in names:
        if known[name].error:
            raise PluginError(f"plugin {name!r} cannot be loaded: {known[name].error}")
    enabled = set(names)
    for name in names:
        for required in known[name].info.requires:  # type: ignore[union-attr]
            if required == KERNEL_NAME or required in enabled:
                continue
            if required in known:
                raise PluginError(f"plugin {name!r} requires plugin {required!r}, which is not "
                                  f"enabled: add {required!r} to CRM_PLUGINS")
            raise PluginError(f"plugin {name!r} requires plugin {required!r}, which is not "
                              "installed")
    ordered = _topological(names, {n: known[n].info.requires for n in names})  # type: ignore
    for record in known.values():
        record.enabled = record.name in enabled
    return [known[name] for name in ordered]


def _topological(names: list[str], requires: dict[str, tuple[str, ...]]) -> list[str]:
    pending = {n: {r for r in requires[n] if r != KERNEL_NAME} for n in names}
    ready = [n for n, reqs in pending.items() if not reqs]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for other, reqs in pending.items():
            if name in reqs:
                reqs.discard(name)
                if not reqs:
                    heapq.heappush(ready, other)
    if len(order) < len(names):
        stuck = sorted(set(names) - set(order))
        raise PluginError(f"plugin {stuck[0]!r} is in a requirement cycle: "
                          + " -> ".join(f"{n} requires {', '.join(sorted(pending[n]))}"
                                        for n in stuck))
    return order


class _Invalid(PluginError):
    """A plugin failed validation while the manager was built (``plugin`` names it)."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(message)
        self.plugin = plugin


def _build(kernel: ModuleType, plugins: list[PluginRecord]) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("crm")
    pm.add_hookspecs(hookspecs)
    pm.register(kernel, name=KERNEL_NAME)
    for record in plugins:
        try:
            pm.register(record.module, name=record.name)
        except pluggy.PluginValidationError as exc:
            raise _Invalid(record.name, f"plugin {record.name!r} has an invalid hook: "
                                        f"{exc}") from None
    for impl in pm.hook.crm_add_hookspecs.get_hookimpls():
        try:
            impl.function(**{name: pm for name in impl.argnames})
        except Exception as exc:  # a third-party plugin's bug; reported with its name
            raise _Invalid(impl.plugin_name, f"plugin {impl.plugin_name!r}: crm_add_hookspecs "
                                             f"failed: {type(exc).__name__}: {exc}") from None
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or "?"
        raise _Invalid(name, f"plugin {name!r}: {_hook_problem(exc)}") from None
    return pm


def build_manager(kernel: ModuleType, plugins: list[PluginRecord]) -> pluggy.PluginManager:
    """A new pluggy manager with the kernel and the given plugins registered and checked."""
    try:
        return _build(kernel, plugins)
    except _Invalid as exc:
        raise PluginError(str(exc)) from None


def load(kernel: ModuleType, known: dict[str, PluginRecord], wanted: list[str] | None,
         lenient: bool = False) -> tuple[pluggy.PluginManager, list[PluginRecord]]:
    """Resolve ``wanted`` and build the manager: ``(pm, enabled records in load order)``.

    With ``lenient`` and ``wanted`` None, a third-party plugin that fails validation is
    marked broken and the set resolved again without it (and without what requires it).
    """
    while True:
        enabled = resolve(known, wanted, lenient)
        try:
            pm = _build(kernel, enabled)
        except _Invalid as exc:
            record = known.get(exc.plugin)
            if not (lenient and wanted is None and record is not None and record.third_party):
                raise PluginError(str(exc)) from None
            record.error = str(exc)
            continue
        for record in known.values():
            if record.state == "broken" and wanted is None:
                log.error("plugin %r is broken and was disabled: %s", record.name, record.error)
        return pm, enabled


def _hook_problem(exc: pluggy.PluginValidationError) -> str:
    text = str(exc)
    if "unknown hook" in text:
        hook = text.split("unknown hook", 1)[1].split("in plugin")[0].strip(" '\"")
        return f"implements hook {hook!r}, which does not exist (misspelled, or its plugin is " \
               "not enabled)"
    return text


def call_each(manager: pluggy.PluginManager, hook_name: str,
              **kwargs: Any) -> list[tuple[str, Any]]:
    """Call every implementation of a hook in load order: ``[(plugin_name, result), ...]``.

    Unlike ``pm.hook.x()``, this keeps which plugin returned what, so registrations can be
    counted per plugin and duplicates reported with both plugins' names.
    """
    caller = getattr(manager.hook, hook_name)
    order = {name: index for index, (name, _) in enumerate(manager.list_name_plugin())}
    results = []
    for impl in sorted(caller.get_hookimpls(), key=lambda i: order.get(i.plugin_name, 0)):
        if impl.hookwrapper or impl.wrapper:
            continue
        result = impl.function(**{name: kwargs[name] for name in impl.argnames})
        results.append((impl.plugin_name, result))
    return results


def collect(manager: pluggy.PluginManager, hook_name: str,
            **kwargs: Any) -> list[tuple[str, Any]]:
    """Flatten a list-returning hook: ``[(plugin_name, item), ...]`` in load order.

    The blueprints, menu items, permissions and export tasks of the plugins' resources
    (``crm_resources``) come after the plugins' own, as their declaring plugin's; so do the
    permissions and default grants of their sensitive fields (``crm_sensitive_fields``).
    """
    from .resources.registration import derived
    from .sensitive.registry import derived as sensitive_derived

    items = [(plugin, item)
             for plugin, result in call_each(manager, hook_name, **kwargs)
             for item in (result or [])]
    return items + derived(manager, hook_name, items) + sensitive_derived(manager, hook_name,
                                                                        items)
