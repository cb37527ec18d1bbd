"""Canned replies declared as a ``toolkit.Resource``: ``/service/canned_replies`` and its API,
for holders of ``service.canned_reply.manage`` (administrators and managers). A text is
checked when saved: only known merge fields (``thread.merge``), so an agent never inserts a
broken one. Agents use the active ones in the reply form without this permission. A part of
the service plugin: ``resources()``, ``permissions()``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from crm_core.toolkit import Field, Filter, Permission, Resource

from ..models import CannedReply
from ..permissions import GROUP, N_
from . import merge

CANNED_MANAGE = "service.canned_reply.manage"
MANAGED = {action: CANNED_MANAGE for action in ("view", "create", "edit", "delete", "export")}


def permissions() -> list[Permission]:
    """Keeping the canned replies."""
    return [Permission(CANNED_MANAGE, N_("Manage canned replies"), GROUP)]


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    if "body" in values:
        merge.render(values["body"] or "", merge.sample_values())
    return values


def create_canned(session: Session, values: dict[str, Any], user: Any) -> CannedReply:
    """A new canned reply (the Resource's create); its text is checked."""
    canned = CannedReply(**_checked(values))
    session.add(canned)
    session.flush()
    return canned


def update_canned(session: Session, canned: CannedReply, values: dict[str, Any],
                  user: Any) -> CannedReply:
    """Change a canned reply (the Resource's update); its text is checked."""
    for name, value in _checked(values).items():
        setattr(canned, name, value)
    session.flush()
    return canned


_RESOURCE: list[Resource] = []


def canned_resource() -> Resource:
    """The canned replies Resource (built once)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=CannedReply, name="canned_replies", label=_l("Canned replies"),
            label_one=_l("Canned reply"),
            fields=[Field("title", _l("Title")),
                    Field("body", _l("Text"), textarea=True),
                    Field("is_active", _l("Active"))],
            columns=["title", "is_active", "updated_at"],
            filters=[Filter("is_active", "choice")],
            sorts=["title"], default_sort="title", search=["title"],
            create=create_canned, update=update_canned, soft_delete=None,
            permissions=MANAGED, actions=tuple(MANAGED), icon="chat-quote", order=405,
            parent="service.teams"))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The canned replies Resource."""
    return [canned_resource()]
