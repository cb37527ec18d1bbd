"""Service teams and their members declared as ``toolkit.Resource``s: ``/service/teams``
(a team maps to a department; its lead; round robin or fewest open tickets) and
``/service/team_members`` (who is in a team, and available for assignments), with their
APIs. Both need ``service.team.manage``. A part of the service plugin: ``resources()``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm_core.toolkit import (
    Computed,
    Field,
    Filter,
    Panel,
    Resource,
    get_session,
    model_for_table,
    user_names,
)

from ..models import Team, TeamMember
from ..models.choices import ASSIGNMENT_MODE_LABELS
from ..permissions import TEAM_MANAGE
from . import services

MANAGED = {action: TEAM_MANAGE for action in ("view", "create", "edit", "delete", "export")}


def _members_context(team: Team) -> dict[str, Any]:
    session = get_session()
    members = session.scalars(select(TeamMember).where(TeamMember.team_id == team.id)
                              .order_by(TeamMember.id)).all()
    return {"members": members,
            "names": user_names(session, [member.user_id for member in members])}


_RESOURCES: list[Resource] = []


def team_resources() -> list[Resource]:
    """The teams and members Resources (built once)."""
    if not _RESOURCES:
        _RESOURCES.append(Resource(
            model=Team, name="teams", label=_l("Service teams"), label_one=_l("Service team"),
            fields=[Field("name", _l("Name")),
                    Field("department_id", _l("Department"),
                          relation=model_for_table("core_department"), relation_label="name"),
                    Field("lead_id", _l("Team lead"), relation="user"),
                    Field("assignment_mode", _l("Assignment"),
                          choices=list(ASSIGNMENT_MODE_LABELS.items())),
                    Field("is_active", _l("Active"))],
            columns=["name", "department_id", "lead_id", "assignment_mode", "members",
                     "is_active"],
            computed=[Computed("members", _l("Members"),
                               lambda session, teams: services.member_counts(session, teams))],
            filters=[Filter("department_id", "relation")],
            sorts=["name"], default_sort="name", search=["name"],
            panels=[Panel(_l("Members"), "service/teams/_members.html", _members_context)],
            create=services.create_team, update=services.update_team, soft_delete=None,
            permissions=MANAGED, actions=tuple(MANAGED), icon="people", order=402))
        _RESOURCES.append(Resource(
            model=TeamMember, name="team_members", label=_l("Team members"),
            label_one=_l("Team member"),
            fields=[Field("team_id", _l("Team"), relation=Team),
                    Field("user_id", _l("User"), relation="user"),
                    Field("available", _l("Available"),
                          description=_l("Takes tickets when they are assigned "
                                         "automatically."))],
            title_field="user_id", columns=["team_id", "user_id", "available"],
            filters=[Filter("team_id", "relation")],
            create=services.add_member, update=services.update_member, soft_delete=None,
            permissions=MANAGED, actions=tuple(MANAGED), icon="person-badge", order=403,
            parent="service.teams"))
    return list(_RESOURCES)


def resources() -> list[Resource]:
    """The teams and members Resources."""
    return team_resources()
