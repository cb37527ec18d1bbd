"""Settings mistakes are caught at start-up, and secrets never show in `crm config show`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core.config import masked
from crm_core.errors import ConfigError
from crm_core.rbac.models import Role, RoleScope


def test_a_malformed_rate_limit_stops_the_app_with_its_name(crm_make_app):
    with pytest.raises(ConfigError, match="CRM_API_RATE_LIMIT"):
        crm_make_app(migrate=False, CRM_API_RATE_LIMIT="lots")


def test_config_show_masks_secrets_but_not_settings_that_merely_mention_them():
    shown = masked({"CRM_SECRET_KEY": "s3cret", "CRM_ERP_BRIDGE_API_KEY": "k",
                    "CRM_OA_BRIDGE_TOKEN": "t", "CRM_PASSWORD_MIN_LENGTH": 12,
                    "CRM_RATELIMIT_KEY_PREFIX": "crm",
                    "CRM_DATABASE_URL": "postgresql+psycopg://crm:pw@db/crm"})
    assert shown["CRM_SECRET_KEY"] == shown["CRM_ERP_BRIDGE_API_KEY"] == "***"
    assert shown["CRM_OA_BRIDGE_TOKEN"] == "***"
    assert shown["CRM_PASSWORD_MIN_LENGTH"] == 12
    assert shown["CRM_RATELIMIT_KEY_PREFIX"] == "crm"
    assert "pw" not in shown["CRM_DATABASE_URL"]


def test_a_role_scope_an_administrator_changed_survives_the_next_sync(crm_make_app):
    app = crm_make_app(plugins=["example"])
    from crm_core.migrate import upgrade

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        sales = session.scalar(select(Role).where(Role.name == "sales"))
        scopes = dict(session.execute(select(RoleScope.kind, RoleScope.scope)
                                      .where(RoleScope.role_id == sales.id)).all())
        assert scopes["*"] == "own"
        row = session.get(RoleScope, (sales.id, "*"))
        row.scope = "department"  # an administrator widened it
        session.commit()
        upgrade(app)  # a later deploy syncs again
        session.expire_all()
        assert session.get(RoleScope, (sales.id, "*")).scope == "department"
        session.close()
