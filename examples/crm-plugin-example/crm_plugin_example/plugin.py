"""The example plugin: metadata and hook implementations (thin: they name what it offers)."""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import (
    MenuItem,
    Permission,
    PluginInfo,
    ReportWidget,
    SearchHit,
    TaskSpec,
    db,
    hookimpl,
)

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
        Permission("example.note.view", "View notes", "Example"),
        Permission("example.note.create", "Add notes", "Example"),
    ]


@hookimpl
def crm_menu_items() -> list[MenuItem]:
    return [MenuItem(id="example.notes", label="Notes", endpoint="example.notes",
                     permission="example.note.view", icon="journal-text", order=900)]


@hookimpl
def crm_report_widgets() -> list[ReportWidget]:
    from . import services

    return [ReportWidget(id="example.notes_per_day", title="Notes per day", kind="bar",
                         permission="example.note.view",
                         data=lambda: services.notes_per_day(db.session))]


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
    return [SearchHit(kind="note", title=note.title, url=url_for("example.notes"),
                      subtitle=note.body[:80])
            for note in services.find_notes(db.session, query, limit)]


@hookimpl
def crm_demo_data(size: int, session: Any) -> None:
    from . import services

    services.add_demo_notes(session, size)
