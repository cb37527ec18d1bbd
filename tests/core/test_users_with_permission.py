"""``toolkit.users_with_permission``: whom a plugin may tell about something only holders of
a permission can act on — every active holder through a role and the superusers, nobody
disabled, nobody without it."""

from __future__ import annotations

import pytest

from crm_core.db import get_session
from crm_core.rbac.users import create_account
from crm_core.toolkit import users_with_permission

PASSWORD = "Kettle-Drum-42x"


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=[])


def test_holders_through_a_role_and_superusers_but_not_the_disabled(app) -> None:
    with app.app_context():
        session = get_session()
        auditor = create_account(session, "auditor", PASSWORD, roles=["manager"])
        create_account(session, "seller", PASSWORD, roles=["sales"])
        gone = create_account(session, "gone", PASSWORD, roles=["manager"])
        create_account(session, "boss", PASSWORD, roles=["admin"])
        root = create_account(session, "root", PASSWORD, roles=[])
        root.is_superuser = True
        gone.is_active = False
        session.commit()

        names = [user.username for user in users_with_permission(session, "core.audit.view")]
        assert names == sorted(names)
        assert {"auditor", "boss", "root"} <= set(names)
        assert "seller" not in names and "gone" not in names
        assert auditor.id in {user.id for user in users_with_permission(
            session, "core.audit.view")}

        only_super = users_with_permission(session, "nobody.has.this")
        assert all(user.is_superuser for user in only_super) and root in only_super
