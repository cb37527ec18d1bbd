"""``toolkit.sync_department`` and ``toolkit.sync_user``: what an integration's org sync may do
to departments and users — create, rename, move, update, disable — and what it may not: give
roles, a usable password or superuser rights, or disable the last superuser."""

from __future__ import annotations

import pytest

from crm_core.toolkit import DomainError, sync_department, sync_user


def test_departments_are_created_renamed_and_moved(crm_session):
    sales = sync_department(crm_session, None, name="Sales", parent_id=None)
    east = sync_department(crm_session, None, name="East", parent_id=sales.id)
    assert east.path == f"/{sales.id}/{east.id}/"
    service = sync_department(crm_session, None, name="Service", parent_id=None)
    moved = sync_department(crm_session, east.id, name="East China", parent_id=service.id)
    assert (moved.name, moved.parent_id, moved.path) == (
        "East China", service.id, f"/{service.id}/{east.id}/")
    with pytest.raises(DomainError):  # a department cannot go under itself
        sync_department(crm_session, service.id, name="Service", parent_id=east.id)


def test_a_synced_user_has_no_roles_no_password_and_can_be_disabled(crm_session):
    from crm_core.auth.service import create_user
    from crm_core.rbac.service import user_role_names

    team = sync_department(crm_session, None, name="Team", parent_id=None)
    user = sync_user(crm_session, None, username="dt.u1", display_name="李娜",
                     email="not an address", department_id=team.id)
    assert (user.display_name, user.email, user.department_id, user.is_active,
            user.is_superuser) == ("李娜", None, team.id, True, False)
    assert user_role_names(crm_session, user.id) == []
    assert user.password_hash and "dt.u1" not in user.password_hash
    same = sync_user(crm_session, user.id, display_name="Li Na", email="li@example.com",
                     department_id=None, active=False)
    assert (same.display_name, same.email, same.is_active) == ("Li Na", "li@example.com", False)
    root = create_user(crm_session, "root", "Kettle-Drum-42x", superuser=True)
    with pytest.raises(DomainError):  # the last active superuser stays
        sync_user(crm_session, root.id, display_name="root", active=False)
