"""Benchmark staff shared by ``bench/service.py`` and ``bench/analytics.py``: users of a
department holding roles, and a service team of some users (the service plugin's bulk demo
assigns tickets to a team's members)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

PASSWORD = "bench-password-1"


def department_staff(session: Any, department: str, usernames: Iterable[str],
                     roles: Sequence[str]) -> list[Any]:
    """A new department and its users (password ``PASSWORD``) holding ``roles``."""
    from crm_core.auth.service import create_user
    from crm_core.rbac.departments import create_department
    from crm_core.rbac.service import assign_roles

    department_id = create_department(session, department).id
    users = []
    for username in usernames:
        user = create_user(session, username, PASSWORD)
        user.department_id = department_id
        assign_roles(session, user.id, list(roles))
        users.append(user)
    return users


def service_team(session: Any, name: str, members: Sequence[Any],
                 roles: Sequence[str] | None = None) -> Any:
    """A team of ``members`` in the first one's department, led by them; ``roles``, when
    given, become the members' roles (a sales rep who also answers tickets)."""
    from crm_core.rbac.service import assign_roles
    from plugins.service.models import Team, TeamMember

    if roles is not None:
        for user in members:
            assign_roles(session, user.id, list(roles))
    team = Team(name=name, department_id=members[0].department_id, lead_id=members[0].id)
    session.add(team)
    session.flush()
    session.add_all([TeamMember(team_id=team.id, user_id=user.id) for user in members])
    return team
