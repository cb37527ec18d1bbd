"""The public forms declared as a ``toolkit.Resource``: ``/service/public_forms`` and its API,
for holders of ``service.team.manage``: a form's name, its address key (``/service/form/<key>``),
the team its requests go to, their default type and priority, the sites that may embed it,
whether it is active and the text above it. Also the attachment kind of the files customers
send with a request. A part of the service plugin: ``resources()``, ``attachment_kinds()``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import AttachmentKind, Computed, DomainError, Field, Filter, Resource

from ..models import PublicForm, ServiceRequest, Team
from ..models.choices import PRIORITY_LABELS, REQUEST_TYPE_LABELS
from ..permissions import REQUEST_VIEW, TEAM_MANAGE
from .services import ATTACHMENT_KIND, KEY_PATTERN

MANAGED = {action: TEAM_MANAGE for action in ("view", "create", "edit", "delete", "export")}
MAX_ORIGINS = 20


class PublicFormError(DomainError):
    """A refused form setting; ``field`` names the field (422 in the API)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _unique(session: Session, column: Any, value: str, field: str, form_id: int | None
            ) -> None:
    taken = select(PublicForm.id).where(column == value)
    if form_id is not None:
        taken = taken.where(PublicForm.id != form_id)
    if session.scalar(taken.limit(1)) is not None:
        raise PublicFormError(field, _("Another form already uses %(value)s.", value=value))


def _origins(text: Any) -> str:
    """Each origin ``https://host[:port]`` on its own line (``*`` for any site)."""
    found = []
    for part in re.split(r"[\s,]+", str(text or "")):
        if not part:
            continue
        pieces = urlsplit(part) if part != "*" else None
        if pieces is not None and (pieces.scheme not in ("http", "https") or not pieces.netloc
                                   or pieces.path not in ("", "/") or pieces.query
                                   or not re.fullmatch(r"[A-Za-z0-9.:\[\]*-]+", pieces.netloc)):
            raise PublicFormError("frame_origins", _(
                "%(origin)s is not a site's address: write it as https://www.example.com.",
                origin=part[:100]))
        found.append(part if pieces is None else f"{pieces.scheme}://{pieces.netloc}")
    if len(found) > MAX_ORIGINS:
        raise PublicFormError("frame_origins", _("At most %(n)d sites.", n=MAX_ORIGINS))
    return "\n".join(found)


def _clean(session: Session, values: dict[str, Any], form_id: int | None) -> dict[str, Any]:
    values = dict(values)
    if "name" in values:
        values["name"] = str(values["name"] or "").strip()
        if not values["name"]:
            raise PublicFormError("name", _("Enter a name."))
        _unique(session, PublicForm.name, values["name"], "name", form_id)
    if "key" in values:
        values["key"] = str(values["key"] or "").strip().lower()
        if not KEY_PATTERN.match(values["key"]):
            raise PublicFormError("key", _("Use lower-case letters, digits and dashes (at "
                                           "most 60), e.g. acme-shop."))
        _unique(session, PublicForm.key, values["key"], "key", form_id)
    if "team_id" in values and values["team_id"] is not None:
        team = session.get(Team, values["team_id"]) \
            if isinstance(values["team_id"], int) else None
        if team is None:
            raise PublicFormError("team_id", _("Not a valid choice."))
    if "frame_origins" in values:
        values["frame_origins"] = _origins(values["frame_origins"])
    return values


def create_form(session: Session, values: dict[str, Any], user: Any) -> PublicForm:
    """A new public form (the Resource's create)."""
    form = PublicForm(**_clean(session, values, None))
    session.add(form)
    session.flush()
    return form


def update_form(session: Session, form: PublicForm, values: dict[str, Any],
                user: Any) -> PublicForm:
    """Change a public form (the Resource's update)."""
    for name, value in _clean(session, values, form.id).items():
        setattr(form, name, value)
    session.flush()
    return form


def _addresses(session: Session, forms: list[PublicForm]) -> dict[int, str]:
    return {form.id: f"/service/form/{form.key}" for form in forms}


_RESOURCES: list[Resource] = []


def resources() -> list[Resource]:
    """The public forms Resource (built once)."""
    if not _RESOURCES:
        _RESOURCES.append(Resource(
            model=PublicForm, name="public_forms", label=_l("Public forms"),
            label_one=_l("Public form"),
            fields=[Field("name", _l("Name")),
                    Field("key", _l("Address key"),
                          description=_l("The form's address is /service/form/<key>: "
                                         "lower-case letters, digits and dashes.")),
                    Field("team_id", _l("Team"), relation=Team,
                          description=_l("Requests go to this team (empty: the first "
                                         "active team).")),
                    Field("default_type", _l("Default type"),
                          choices=list(REQUEST_TYPE_LABELS.items())),
                    Field("default_priority", _l("Default priority"),
                          choices=list(PRIORITY_LABELS.items())),
                    Field("frame_origins", _l("Sites that may embed it"), textarea=True,
                          description=_l("One address per line, e.g. https://www.example.com; "
                                         "empty: any site.")),
                    Field("is_active", _l("Active")),
                    Field("intro", _l("Introduction"), textarea=True,
                          description=_l("Shown above the form."))],
            columns=["name", "key", "address", "team_id", "default_type", "is_active"],
            computed=[Computed("address", _l("Address"), _addresses)],
            filters=[Filter("team_id", "relation")],
            sorts=["name"], default_sort="name", search=["name", "key"],
            create=create_form, update=update_form, soft_delete=None,
            permissions=MANAGED, actions=tuple(MANAGED), icon="ui-checks", order=404,
            parent="service.teams"))
    return list(_RESOURCES)


def attachment_kinds() -> list[AttachmentKind]:
    """Files customers send with a request through the public form."""
    return [AttachmentKind(ATTACHMENT_KIND, ServiceRequest, view_permission=REQUEST_VIEW,
                           edit_permission="service.request.edit",
                           label=_l("Service request"))]
