"""sales reps may import customers

Revision ID: 6106506e4b99
Revises: 3b9f1d7c2e84 (customers_0007_default_amount_bands)
Create Date: 2026-12-05 01:30:00

The built-in ``sales`` role now grants ``customers.customer.import`` (``plugin.crm_roles``):
reps import their own leads, as themselves, within their data scope. The permissions sync
(``crm db upgrade`` / ``crm sync-permissions``) only grants a permission the first time it
sees the *permission*, and this one has existed since the import did, so on an existing
install the sync alone would never give it to the sales role. This migration does, once:
it grants the permission to the built-in role named ``sales`` when both exist and the grant
is missing. On a new install neither exists yet when the migrations run; the sync after
them creates the role with the grant. An administrator who later takes the grant away keeps
it away (this revision does not run again). Downgrade leaves the grant: it cannot tell this
revision's grant from one an administrator gave, and the sync never removes grants either.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '6106506e4b99'
down_revision = '3b9f1d7c2e84'
branch_labels = None
depends_on = None

ROLE = "sales"
PERMISSION = "customers.customer.import"

_role = sa.table("core_role", sa.column("id", sa.Integer), sa.column("name", sa.String),
                 sa.column("builtin", sa.Boolean))
_permission = sa.table("core_permission", sa.column("id", sa.Integer),
                       sa.column("name", sa.String))
_grant = sa.table("core_role_permission", sa.column("role_id", sa.Integer),
                  sa.column("permission_id", sa.Integer))


def upgrade() -> None:
    connection = op.get_bind()
    role_id = connection.scalar(sa.select(_role.c.id).where(
        _role.c.name == ROLE, _role.c.builtin.is_(True)))
    permission_id = connection.scalar(sa.select(_permission.c.id).where(
        _permission.c.name == PERMISSION))
    if role_id is None or permission_id is None:
        return  # a new install: the sync after the migrations grants it
    granted = connection.scalar(sa.select(sa.func.count()).select_from(_grant).where(
        _grant.c.role_id == role_id, _grant.c.permission_id == permission_id))
    if not granted:
        connection.execute(_grant.insert().values(role_id=role_id,
                                                  permission_id=permission_id))


def downgrade() -> None:
    pass  # add-only, like the sync: see the module docstring
