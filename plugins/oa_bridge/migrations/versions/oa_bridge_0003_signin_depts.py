"""oa_bridge sign-in button and several departments: a connection offers "Sign in with …" on
the login page only when its sign-in is enabled; a user link keeps the OA departments besides
the primary one

Revision ID: 0a17c0e5b003
Revises: 0a17c0e5b002
Create Date: 2026-12-06 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0a17c0e5b003'
down_revision = '0a17c0e5b002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('oa_bridge_connection') as batch:
        batch.add_column(sa.Column('signin', sa.Boolean(), nullable=False, server_default='0'))
    with op.batch_alter_table('oa_bridge_user_link') as batch:
        batch.add_column(sa.Column('other_dept_ids', sa.Text(), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('oa_bridge_user_link') as batch:
        batch.drop_column('other_dept_ids')
    with op.batch_alter_table('oa_bridge_connection') as batch:
        batch.drop_column('signin')
