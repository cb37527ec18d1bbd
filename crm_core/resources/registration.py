"""What the kernel derives from each plugin's ``crm_resources()``: its blueprints, menu
entries, permissions and export task, counted as the declaring plugin's own.

``plugins.collect`` adds these to what the plugins return from ``crm_blueprints``,
``crm_menu_items``, ``crm_permissions`` and ``crm_celery_tasks``, so ``crm plugins list``,
the route walk and the OpenAPI document see a resource's routes as its plugin's.
"""

from __future__ import annotations

from typing import Any

from ..errors import RegistryError
from ..registry import MenuItem, Permission, TaskSpec
from .declaration import Resource

DERIVED_HOOKS = ("crm_blueprints", "crm_menu_items", "crm_permissions", "crm_celery_tasks")
#: The English label of each action's permission ("View notes"); pages translate it.
VERBS = {"view": "View", "create": "Add", "edit": "Edit", "delete": "Delete",
         "export": "Export", "import": "Import"}


def N_(message: str) -> str:
    """Mark ``message`` for translation (``ActionLabel`` translates it when shown)."""
    return message


#: Each action's permission label as a translatable text.
ACTION_TEXTS = {"view": N_("View %(records)s"), "create": N_("Add %(records)s"),
                "edit": N_("Edit %(records)s"), "delete": N_("Delete %(records)s"),
                "export": N_("Export %(records)s"), "import": N_("Import %(records)s")}


class ActionLabel(str):
    """A resource permission's label: its English text (stored, sorted, logged) that shows
    in the reader's language through ``crm_core.i18n.translate`` ("删除笔记")."""

    action: str
    records: Any

    def __new__(cls, action: str, records: Any) -> ActionLabel:
        label = super().__new__(cls, f"{VERBS[action]} {str(records).lower()}")
        label.action, label.records = action, records
        return label

    def translated(self) -> str:
        """The label in the current language."""
        from flask_babel import gettext

        return gettext(ACTION_TEXTS[self.action], records=str(self.records).lower())


def resources(manager: Any) -> list[tuple[str, Resource]]:
    """Every enabled plugin's resources, in load order, each bound to its plugin."""
    from ..plugins import call_each

    if not hasattr(manager.hook, "crm_resources"):
        return []
    found = []
    for plugin, result in call_each(manager, "crm_resources"):
        for resource in result or []:
            if not isinstance(resource, Resource):
                raise RegistryError(f"plugin {plugin!r}: crm_resources returned {resource!r}, "
                                    "expected toolkit.Resource")
            if resource.plugin and resource.plugin != plugin:
                raise RegistryError(f"resource {resource.name!r} is declared by plugin "
                                    f"{resource.plugin!r} and by plugin {plugin!r}")
            resource.plugin = plugin
            found.append((plugin, resource))
    return found


def _blueprints(resource: Resource) -> list[Any]:
    cached = resource.__dict__.get("_blueprints")
    if cached is None:
        from .blueprints import build_blueprints

        cached = resource.__dict__["_blueprints"] = build_blueprints(resource)
    return cached


def _permissions(resource: Resource) -> list[Permission]:
    label = str(resource.label)
    return [Permission(resource.permission(action), ActionLabel(action, resource.label),
                       label) for action in resource.actions if action in VERBS]


def _task(resource: Resource) -> TaskSpec:
    from .export import export_job

    def run(job: Any, **kwargs: Any) -> str:
        return export_job(resource, job, **kwargs)

    run.__doc__ = f"Export {resource.key} for the user who started the job."
    return TaskSpec(resource.export_task, run, job=True)


def derived(manager: Any, hook_name: str, declared: list[tuple[str, Any]]
            ) -> list[tuple[str, Any]]:
    """The items of ``hook_name`` that the enabled plugins' resources imply. A permission or
    task a plugin declares itself (same name) is left to the plugin's declaration."""
    if hook_name not in DERIVED_HOOKS:
        return []
    taken = {getattr(item, "name", None) for _plugin, item in declared}
    items: list[tuple[str, Any]] = []
    for plugin, resource in resources(manager):
        if hook_name == "crm_blueprints":
            items += [(plugin, bp) for bp in _blueprints(resource)]
        elif hook_name == "crm_menu_items" and resource.menu:
            items.append((plugin, MenuItem(
                id=resource.key, label=resource.label, endpoint=f"{resource.endpoint}.list",
                permission=resource.permission("view"), icon=resource.icon,
                order=resource.order, parent=resource.parent)))
        elif hook_name == "crm_permissions":
            items += [(plugin, spec) for spec in _permissions(resource)
                      if spec.name not in taken]
        elif hook_name == "crm_celery_tasks" and resource.offers("export"):
            if not any(owner == plugin and getattr(item, "name", None) == resource.export_task
                       for owner, item in declared):
                items.append((plugin, _task(resource)))
    return items
