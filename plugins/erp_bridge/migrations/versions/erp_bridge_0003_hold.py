"""erp_bridge hold: a connection an administrator paused, and the day its key expiry was
last announced

Revision ID: c3d8e1f0a2b4
Revises: 7a41c2e9b0d3
Create Date: 2026-12-06 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c3d8e1f0a2b4'
down_revision = '7a41c2e9b0d3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('erp_bridge_connection') as batch:
        batch.add_column(sa.Column('held', sa.Boolean(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('held_since', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('key_warned_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('erp_bridge_connection') as batch:
        batch.drop_column('key_warned_on')
        batch.drop_column('held_since')
        batch.drop_column('held')
