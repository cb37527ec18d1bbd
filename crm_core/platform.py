"""What the enabled plugins registered, kept on ``app.extensions["crm"]``.

The kernel is plugin ``core`` and registers its own models, routes and permissions through
the same hooks as every other plugin. Duplicate ids are startup errors naming both plugins.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import click
import pluggy
from flask import Blueprint, Flask
from flask.cli import with_appcontext

from .errors import RegistryError
from .plugins import KERNEL_NAME, PluginRecord, collect
from .registry import MenuItem, Permission, ReportWidget, RoleSpec, ScheduleEntry, TaskSpec

COUNT_KEYS = ("models", "routes", "permissions", "menu_items", "widgets", "tasks")


def _unique(entries: list[tuple[str, Any]], key: str, kind: str) -> dict[str, tuple[str, Any]]:
    seen: dict[str, tuple[str, Any]] = {}
    for plugin, item in entries:
        ident = getattr(item, key)
        if ident in seen:
            raise RegistryError(f"{kind} {ident!r} is registered twice: by plugin "
                                f"{seen[ident][0]!r} and by plugin {plugin!r}")
        seen[ident] = (plugin, item)
    return seen


def _check_types(entries: list[tuple[str, Any]], kind: type, hook: str) -> None:
    for plugin, item in entries:
        if not isinstance(item, kind):
            raise RegistryError(f"plugin {plugin!r}: {hook} returned {item!r}, "
                                f"expected toolkit.{kind.__name__}")


def _in_app_context(cmd: click.Command) -> click.Command:
    """Run a plugin's command (and, for a group, every subcommand) inside an app context."""
    if cmd.callback is not None and not getattr(cmd.callback, "crm_app_context", False):
        cmd.callback = with_appcontext(cmd.callback)
        cmd.callback.crm_app_context = True  # type: ignore[attr-defined]
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _in_app_context(sub)
    return cmd


class Platform:
    """The running app's plugins and everything they registered."""

    def __init__(self, pm: pluggy.PluginManager, known: dict[str, PluginRecord],
                 enabled: list[PluginRecord]) -> None:
        self.pm = pm
        self.known = known
        self.enabled = enabled
        self.names = [KERNEL_NAME] + [record.name for record in enabled]
        self.models = self._collect_models()
        self.permissions = self._collect("crm_permissions", Permission, "name", "permission")
        self.menu_items = self._collect("crm_menu_items", MenuItem, "id", "menu item")
        self.widgets = self._collect("crm_report_widgets", ReportWidget, "id", "report widget")
        roles = collect(pm, "crm_roles")
        _check_types(roles, RoleSpec, "crm_roles")
        self.roles = roles
        self.tasks: dict[str, tuple[str, TaskSpec]] = {}
        self.schedule: list[tuple[str, ScheduleEntry]] = []
        self.blueprints: dict[str, list[Blueprint]] = defaultdict(list)
        self.route_counts: dict[str, int] = defaultdict(int)
        self.routes: dict[str, list[str]] = defaultdict(list)
        self.commands: dict[str, list[str]] = defaultdict(list)

    @property
    def hook(self) -> Any:
        """``pm.hook``: call a hook on every enabled plugin (keyword arguments only)."""
        return self.pm.hook

    def _collect(self, hook: str, kind: type, key: str, label: str) -> dict[str, tuple[str, Any]]:
        entries = collect(self.pm, hook)
        _check_types(entries, kind, hook)
        for plugin, item in entries:
            ident = getattr(item, key)
            if plugin != KERNEL_NAME and not ident.startswith(f"{plugin}."):
                raise RegistryError(f"plugin {plugin!r}: {label} {ident!r} must start with "
                                    f"'{plugin}.'")
        return _unique(entries, key, label)

    def _collect_models(self) -> dict[str, list[type]]:
        models: dict[str, list[type]] = defaultdict(list)
        owner: dict[str, str] = {}
        for plugin, model in collect(self.pm, "crm_models"):
            table = getattr(model, "__tablename__", None)
            if table is None:
                raise RegistryError(f"plugin {plugin!r}: crm_models returned {model!r}, "
                                    "which is not a model class")
            if not table.startswith(f"{plugin}_"):
                raise RegistryError(f"plugin {plugin!r}: table {table!r} must be named "
                                    f"'{plugin}_...'")
            if table in owner:
                raise RegistryError(f"table {table!r} is registered twice: by plugin "
                                    f"{owner[table]!r} and by plugin {plugin!r}")
            owner[table] = plugin
            models[plugin].append(model)
        return models

    def table_owners(self) -> dict[str, str]:
        """Every enabled plugin's table name mapped to its plugin."""
        return {model.__table__.name: plugin
                for plugin, classes in self.models.items() for model in classes}

    def register_blueprints(self, app: Flask) -> None:
        """Register every plugin's blueprints and count their routes per plugin."""
        for plugin, blueprint in collect(self.pm, "crm_blueprints"):
            if not isinstance(blueprint, Blueprint):
                raise RegistryError(f"plugin {plugin!r}: crm_blueprints returned {blueprint!r}")
            if blueprint.name in app.blueprints:
                raise RegistryError(f"blueprint {blueprint.name!r} of plugin {plugin!r} is "
                                    "already registered")
            app.register_blueprint(blueprint)
            self.blueprints[plugin].append(blueprint)
        owners = {bp.name: plugin for plugin, bps in self.blueprints.items() for bp in bps}
        for rule in app.url_map.iter_rules():
            bp_name, _, view = rule.endpoint.rpartition(".")
            if bp_name in owners and view != "static":
                self.route_counts[owners[bp_name]] += 1
                self.routes[owners[bp_name]].append(rule.rule)

    def register_cli(self, app: Flask) -> None:
        """Add every plugin's click commands to ``app.cli`` (``crm <command>``)."""
        taken = set(app.cli.commands)
        for plugin, cmd in collect(self.pm, "crm_cli_commands"):
            if not isinstance(cmd, click.Command):
                raise RegistryError(f"plugin {plugin!r}: crm_cli_commands returned {cmd!r}")
            if cmd.name in taken:
                raise RegistryError(f"plugin {plugin!r}: command 'crm {cmd.name}' already exists")
            taken.add(cmd.name)
            self.commands[plugin].append(f"crm {cmd.name}")
            app.cli.add_command(_in_app_context(cmd))
        from .imports.plugin_cli import add_import_commands  # crm <plugin> import|export

        add_import_commands(app, self)

    def counts(self, plugin: str) -> dict[str, int]:
        """How many models, routes, permissions, menu items, widgets and tasks ``plugin`` has."""
        def owned(registry: dict[str, tuple[str, Any]]) -> int:
            return sum(1 for owner, _ in registry.values() if owner == plugin)
        return {
            "models": len(self.models.get(plugin, [])),
            "routes": self.route_counts.get(plugin, 0),
            "permissions": owned(self.permissions),
            "menu_items": owned(self.menu_items),
            "widgets": owned(self.widgets),
            "tasks": owned(self.tasks),
        }

    def registrations(self, plugin: str) -> dict[str, list[str]]:
        """What ``plugin`` registered, by name: tables, URL rules, permissions, menu items,
        widgets, tasks, beat entries (``name: task``) and CLI commands, each sorted."""
        def owned(registry: dict[str, tuple[str, Any]]) -> list[str]:
            return sorted(ident for ident, (owner, _) in registry.items() if owner == plugin)
        return {
            "models": sorted(model.__table__.name for model in self.models.get(plugin, [])),
            "routes": sorted(set(self.routes.get(plugin, []))),
            "permissions": owned(self.permissions),
            "menu_items": owned(self.menu_items),
            "widgets": owned(self.widgets),
            "tasks": owned(self.tasks),
            "beat": sorted(f"{plugin}.{entry.name}: "
                           + (entry.task if "." in entry.task else f"{plugin}.{entry.task}")
                           for owner, entry in self.schedule if owner == plugin),
            "commands": sorted(self.commands.get(plugin, [])),
        }
