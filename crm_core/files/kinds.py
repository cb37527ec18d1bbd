"""Record kinds that take attachments, and finding a record the current user may see.

A plugin opts a kind of record in with the ``crm_attachment_kinds`` hook, returning
``toolkit.AttachmentKind`` entries. The kernel collects them when its blueprint is
registered: a kind must start with its plugin's name (``customers.customer``) and be
registered once. Every path to an attachment goes through ``record_or_404`` here: the
kind must exist, the user must hold its view permission (its edit permission to change
anything) and the record must be in the user's data scope (``get_scoped_or_404``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app

from ..errors import RegistryError
from ..plugins import KERNEL_NAME, collect
from ..rbac.principal import can
from ..rbac.scope import get_scoped_or_404

EXTENSION = "crm_attachment_kinds"


@dataclass(frozen=True)
class AttachmentKind:
    """A kind of record files can be attached to.

    ``kind`` names it (``"<plugin>.<object>"``, as in the data scope); ``model`` is the
    record's model class (its records are looked up with ``get_scoped_or_404``); a user
    needs ``view_permission`` to see a record's files and ``edit_permission`` to upload or
    delete them. ``label`` names the kind for people (default: the kind itself).
    """

    kind: str
    model: type
    view_permission: str
    edit_permission: str
    label: Any = ""


def register_kinds(app: Flask) -> dict[str, AttachmentKind]:
    """Collect every enabled plugin's kinds onto ``app``; raises RegistryError for a wrong
    entry, a kind outside its plugin's name, or a kind registered twice."""
    found: dict[str, tuple[str, AttachmentKind]] = {}
    for plugin, item in collect(app.extensions["crm"].pm, EXTENSION):
        if not isinstance(item, AttachmentKind):
            raise RegistryError(f"plugin {plugin!r}: {EXTENSION} returned {item!r}, "
                                "expected toolkit.AttachmentKind")
        if plugin != KERNEL_NAME and not item.kind.startswith(f"{plugin}."):
            raise RegistryError(f"plugin {plugin!r}: attachment kind {item.kind!r} must start "
                                f"with '{plugin}.'")
        if item.kind in found:
            raise RegistryError(f"attachment kind {item.kind!r} is registered twice: by "
                                f"plugin {found[item.kind][0]!r} and by plugin {plugin!r}")
        found[item.kind] = (plugin, item)
    kinds = {name: item for name, (_plugin, item) in found.items()}
    app.extensions[EXTENSION] = kinds
    return kinds


def attachment_kinds() -> dict[str, AttachmentKind]:
    """The running app's attachment kinds by name."""
    kinds = current_app.extensions.get(EXTENSION)
    if kinds is None:
        kinds = register_kinds(current_app)
    return kinds


def kind_or_404(name: str) -> AttachmentKind:
    """The kind called ``name``; 404 for an unknown one, or one the user may not view."""
    kind = attachment_kinds().get(name)
    if kind is None or not can(kind.view_permission):
        abort(404)
    return kind


def record_or_404(name: str, record_id: int, *, edit: bool = False) -> Any:
    """The record ``record_id`` of kind ``name`` if the current user may see it (404
    otherwise, never 403); with ``edit``, 403 unless they may also change its files."""
    kind = kind_or_404(name)
    record = get_scoped_or_404(kind.model, record_id)
    if edit and not can(kind.edit_permission):
        abort(403)
    return record


def may_edit(name: str) -> bool:
    """Whether the current user may upload and delete files of kind ``name``."""
    kind = attachment_kinds().get(name)
    return kind is not None and can(kind.edit_permission)
