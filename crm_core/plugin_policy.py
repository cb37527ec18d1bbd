"""Which plugins are enabled, and changing that: rows for ``crm plugins list`` and the
Modules page, and ``enable``/``disable`` writing ``plugins = [...]`` to ``instance/crm.toml``.

Precedence of the enabled set: the ``config`` passed to ``create_app`` (tests), then the
``CRM_PLUGINS`` environment variable, then ``plugins`` in ``instance/crm.toml``, then "all
installed". ``enable``/``disable`` write ``crm.toml`` only; a change takes effect when the
web and worker processes restart. Disabling never drops tables: the data stays for when the
plugin is enabled again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from . import config as config_module
from .errors import PluginError
from .plugins import KERNEL_NAME, PluginRecord

COUNT_KEYS = ("models", "routes", "permissions", "menu_items", "widgets", "tasks")


def plugin_rows(platform: Any | None, known: dict[str, PluginRecord]) -> list[dict[str, Any]]:
    """One dict per known plugin, sorted by name: what ``crm plugins list --json`` prints.

    ``platform`` is the running app's (None when the configured set cannot start: then
    every plugin is reported disabled, or broken when it is).
    """
    rows = []
    for name in sorted(known):
        record = known[name]
        running = platform is not None and record.enabled
        counts = platform.counts(name) if running else dict.fromkeys(COUNT_KEYS, 0)
        names = platform.registrations(name) if running else {}
        state = record.state if platform is not None else (
            "broken" if record.error else "disabled")
        rows.append({
            "name": name,
            "version": record.info.version if record.info else None,
            "title": record.info.title if record.info else None,
            "enabled": running,
            "state": state,
            "error": record.error if state == "broken" else None,
            "requires": list(record.info.requires) if record.info else [],
            "source": record.source,
            **counts,
            "task_names": names.get("tasks", []),
            "beat": names.get("beat", []),
            "commands": names.get("commands", []),
        })
    return rows


# -- the configured set ----------------------------------------------------------------------

def toml_path() -> Path:
    """``instance/crm.toml`` of the instance the ``crm`` command works on."""
    return config_module.instance_path() / "crm.toml"


def configured(known: dict[str, PluginRecord]) -> list[str]:
    """The plugins ``crm.toml`` enables: its ``plugins`` list, or, when it names none, every
    installed plugin that is not broken (what "all installed" starts)."""
    setting = config_module.read_toml(config_module.instance_path()).get("CRM_PLUGINS")
    names = config_module.parse_plugin_list(setting)
    if names is None:
        return sorted(name for name, record in known.items() if record.error is None)
    return sorted(set(names))


def environment_overrides() -> bool:
    """Whether ``CRM_PLUGINS`` is set in the environment (it wins over ``crm.toml``)."""
    return "CRM_PLUGINS" in os.environ


def write_configured(names: list[str]) -> Path:
    """Set ``plugins = [...]`` in ``crm.toml``, keeping every other line and comment."""
    path = toml_path()
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() \
        else tomlkit.document()
    document["plugins"] = sorted(names)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return path


# -- changes ---------------------------------------------------------------------------------

@dataclass
class Change:
    """The outcome of an enable or disable: the new set and what to tell the user."""

    names: list[str]
    changed: bool
    messages: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)


def _check_known(known: dict[str, PluginRecord], names: list[str]) -> None:
    for name in names:
        if name == KERNEL_NAME:
            raise PluginError(f"plugin {name!r} is the kernel, which is always enabled")
        if name not in known:
            choices = ", ".join(sorted(known)) or "none"
            raise PluginError(f"plugin {name!r} is unknown (known plugins: {choices})")


def _requirements(known: dict[str, PluginRecord], name: str, chain: tuple[str, ...] = ()
                  ) -> list[str]:
    """``name`` and everything it requires, transitively; refuses a missing or broken one."""
    record = known[name]
    if record.error:
        via = f" (required by {chain[-1]!r})" if chain else ""
        raise PluginError(f"plugin {name!r}{via} is broken: {record.error}")
    found = [name]
    for required in record.info.requires:  # type: ignore[union-attr]
        if required == KERNEL_NAME or required in chain or required in found:
            continue
        if required not in known:
            raise PluginError(f"plugin {name!r} requires plugin {required!r}, which is not "
                              "installed")
        found += [n for n in _requirements(known, required, (*chain, name)) if n not in found]
    return found


def plan_enable(known: dict[str, PluginRecord], current: list[str],
                names: list[str]) -> Change:
    """Enable ``names`` and, with a message, whatever they require that is not enabled."""
    _check_known(known, names)
    wanted = set(current)
    added: list[str] = []
    messages: list[str] = []
    for name in names:
        for needed in _requirements(known, name):
            if needed in wanted:
                continue
            wanted.add(needed)
            added.append(needed)
            if needed != name:
                messages.append(f"Also enabling {needed!r}, which {name!r} requires.")
    for name in names:
        if name not in added:
            messages.append(f"Plugin {name!r} is already enabled.")
    return Change(names=sorted(wanted), changed=bool(added), messages=messages, added=added)


def plan_disable(known: dict[str, PluginRecord], current: list[str],
                 names: list[str]) -> Change:
    """Disable ``names``; refused, naming both, while an enabled plugin requires one."""
    _check_known(known, [name for name in names if name not in current])
    remaining = [name for name in current if name not in names]
    for target in names:
        in_way = [name for name in sorted(remaining) if known.get(name) is not None
                  and known[name].info is not None and target in known[name].info.requires]
        if in_way:
            them = ", ".join(repr(name) for name in in_way)
            raise PluginError(
                f"cannot disable {target!r}: enabled plugin{'s' if len(in_way) > 1 else ''} "
                f"{them} require{'' if len(in_way) > 1 else 's'} it (disable "
                f"{'them' if len(in_way) > 1 else 'it'} too, in the same command or first)")
    messages = [f"Plugin {name!r} is already disabled." for name in names if name not in current]
    return Change(names=sorted(remaining), changed=len(remaining) < len(set(current)),
                  messages=messages)
