"""Teams' rules: a unique name, one membership per user and team. Services flush, the
caller commits; a refused value raises ``TeamError`` naming its field."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError

from ..models import Team, TeamMember


class TeamError(DomainError):
    """A refused team or membership change; ``field`` names the field (422 in the API)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _check_name(session: Session, name: Any, team_id: int | None = None) -> str:
    text = str(name or "").strip()
    if not text:
        raise TeamError("name", _("Enter a name."))
    taken = select(Team.id).where(Team.name == text)
    if team_id is not None:
        taken = taken.where(Team.id != team_id)
    if session.scalar(taken.limit(1)) is not None:
        raise TeamError("name", _("Another team is called %(name)s.", name=text))
    return text


def create_team(session: Session, values: dict[str, Any], user: Any) -> Team:
    """A new team (the Resource's create)."""
    team = Team(**{**values, "name": _check_name(session, values.get("name"))})
    session.add(team)
    session.flush()
    return team


def update_team(session: Session, team: Team, values: dict[str, Any], user: Any) -> Team:
    """Change a team (the Resource's update)."""
    if "name" in values:
        values = {**values, "name": _check_name(session, values["name"], team.id)}
    for name, value in values.items():
        setattr(team, name, value)
    session.flush()
    return team


def _check_member(session: Session, team_id: Any, user_id: Any,
                  member_id: int | None = None) -> None:
    taken = select(TeamMember.id).where(TeamMember.team_id == team_id,
                                        TeamMember.user_id == user_id)
    if member_id is not None:
        taken = taken.where(TeamMember.id != member_id)
    if session.scalar(taken.limit(1)) is not None:
        raise TeamError("user_id", _("This user is already a member of the team."))


def add_member(session: Session, values: dict[str, Any], user: Any) -> TeamMember:
    """A user joins a team (the Resource's create)."""
    _check_member(session, values.get("team_id"), values.get("user_id"))
    member = TeamMember(**values)
    session.add(member)
    session.flush()
    return member


def update_member(session: Session, member: TeamMember, values: dict[str, Any],
                  user: Any) -> TeamMember:
    """Change a membership (the Resource's update)."""
    _check_member(session, values.get("team_id", member.team_id),
                  values.get("user_id", member.user_id), member.id)
    for name, value in values.items():
        setattr(member, name, value)
    session.flush()
    return member


def member_counts(session: Session, teams: list[Team]) -> dict[int, int]:
    """``{team id: members}`` of a page of teams, in one statement."""
    ids = [team.id for team in teams]
    return dict(session.execute(select(TeamMember.team_id, func.count(TeamMember.id))
                                .where(TeamMember.team_id.in_(ids))
                                .group_by(TeamMember.team_id)).all())
