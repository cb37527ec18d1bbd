"""The example plugin: metadata and hook implementations (thin: they name what it offers).

Its notes are a kernel Resource (``resources.py``): list, forms, detail page, API, menu entry,
permissions and export job all come from that one declaration.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import PluginInfo, ReportWidget, RoleSpec, SearchHit, db, hookimpl


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (search kinds are sent in English
    and translated by the page showing them)."""
    return message


PLUGIN = PluginInfo(
    name="example",
    version="0.2.0",
    title=N_("Example notes"),  # the kernel's pages translate the title and description
    description=N_("Notes declared as a kernel Resource, with a chart and search: the "
                   "tutorial."),
    requires=(),
)


@hookimpl
def crm_models() -> list[type]:
    from .models import Note

    return [Note]


@hookimpl
def crm_resources() -> list[Any]:
    from .resources import NOTES

    return [NOTES]


@hookimpl
def crm_roles() -> list[RoleSpec]:
    # Adds to the kernel's roles of the same name; how far each sees notes comes from the
    # role's data scope ("*" unless an administrator sets one for "example.note").
    read = ("example.note.view",)
    export = (*read, "example.note.export")
    write = (*export, "example.note.create", "example.note.edit", "example.note.delete",
             "example.note.import")
    return [RoleSpec("manager", "Manager", write), RoleSpec("sales", "Sales rep", write),
            RoleSpec("service", "Service agent", read), RoleSpec("marketing", "Marketer", export),
            RoleSpec("viewer", "Viewer", read)]


@hookimpl
def crm_attachment_kinds() -> list[Any]:
    from .workflow import attachment_kinds

    return attachment_kinds()


@hookimpl
def crm_approval_subjects() -> list[Any]:
    from .workflow import approval_subjects

    return approval_subjects()


@hookimpl
def crm_approval_decided(subject_kind: str, subject_id: int, status: str) -> None:
    from .workflow import KIND, approval_decided

    if subject_kind == KIND:
        approval_decided(db.session, subject_id, status)


@hookimpl
def crm_notification_kinds() -> list[Any]:
    from .workflow import notification_kinds

    return notification_kinds()


@hookimpl
def crm_report_widgets() -> list[ReportWidget]:
    from flask_login import current_user

    from . import services

    # The dashboard asks for the data in the viewer's request: count only what they may see.
    return [ReportWidget(id="example.notes_per_day", title=_l("Notes per day"), kind="bar",
                         permission="example.note.view",
                         data=lambda: services.notes_per_day(db.session, user=current_user))]


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
    return [SearchHit(kind=N_("note"), title=note.title, subtitle=note.body[:80],
                      url=url_for("example_notes.detail", note_id=note.id))
            for note in services.find_notes(db.session, query, limit, user=user)]


@hookimpl
def crm_demo_data(size: int, session: Any) -> None:
    from . import services

    services.add_demo_notes(session, size)
