"""The example plugin: metadata and hook implementations (thin: they name what it offers)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import (
    MenuItem,
    Permission,
    PluginInfo,
    ReportWidget,
    RoleSpec,
    SearchHit,
    TaskSpec,
    db,
    hookimpl,
)


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is: the page showing it translates it
    (permission labels and search kinds are stored or sent in English)."""
    return message


PLUGIN = PluginInfo(
    name="example",
    version="0.1.0",
    title="Example notes",
    description="Notes with a page, a chart and a background export: the plugin tutorial.",
    requires=(),
)


@hookimpl
def crm_models() -> list[type]:
    from .models import Note

    return [Note]


@hookimpl
def crm_blueprints() -> list[Any]:
    from .views import bp

    return [bp]


@hookimpl
def crm_permissions() -> list[Permission]:
    return [
        Permission("example.note.view", N_("View notes"), N_("Example")),
        Permission("example.note.create", N_("Add notes"), N_("Example")),
        Permission("example.note.export", N_("Export notes"), N_("Example")),
    ]


@hookimpl
def crm_roles() -> list[RoleSpec]:
    # Adds to the kernel's roles of the same name; how far each sees notes comes from the
    # role's data scope ("*" unless an administrator sets one for "example.note").
    write = ("example.note.view", "example.note.create", "example.note.export")
    export = ("example.note.view", "example.note.export")
    read = ("example.note.view",)
    return [
        RoleSpec("manager", "Manager", write),
        RoleSpec("sales", "Sales rep", write),
        RoleSpec("service", "Service agent", read),
        RoleSpec("marketing", "Marketer", export),
        RoleSpec("viewer", "Viewer", read),
    ]


@hookimpl
def crm_menu_items() -> list[MenuItem]:
    return [MenuItem(id="example.notes", label=_l("Notes"), endpoint="example.notes",
                     permission="example.note.view", icon="journal-text", order=900)]


@hookimpl
def crm_report_widgets() -> list[ReportWidget]:
    from flask_login import current_user

    from . import services

    # The dashboard asks for the data in the viewer's request: count only what they may see.
    return [ReportWidget(id="example.notes_per_day", title=_l("Notes per day"), kind="bar",
                         permission="example.note.view",
                         data=lambda: services.notes_per_day(db.session, user=current_user))]


@hookimpl
def crm_celery_tasks() -> list[TaskSpec]:
    from .tasks import export_notes

    return [TaskSpec("export_notes", export_notes, job=True)]


@hookimpl
def crm_cli_commands() -> list[Any]:
    from .cli import example

    return [example]


@hookimpl
def crm_search(query: str, user: Any, limit: int) -> list[SearchHit]:
    from flask import url_for

    from . import services

    if not user.has_permission("example.note.view"):
        return []
    return [SearchHit(kind=N_("note"), title=note.title,
                      url=url_for("example.note", note_id=note.id), subtitle=note.body[:80])
            for note in services.find_notes(db.session, query, limit, user=user)]


@hookimpl
def crm_demo_data(size: int, session: Any) -> None:
    from . import services

    services.add_demo_notes(session, size)
