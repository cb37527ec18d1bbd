"""erp_bridge sync: the ERP number, state and deletion mark on the external id mapping, an index
to find a CRM record by its ERP id, and the overlapping-pull guard on the cursors

Revision ID: 7a41c2e9b0d3
Revises: 3ff53213ddd9
Create Date: 2026-12-06 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7a41c2e9b0d3'
down_revision = '3ff53213ddd9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('erp_bridge_external_id') as batch:
        batch.add_column(sa.Column('erp_number', sa.String(length=64), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('deleted_in_erp_at', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('erp_state', sa.String(length=40), nullable=False,
                                   server_default=''))
        batch.create_index(batch.f('ix_erp_bridge_external_id_connection_id_object_erp_id'),
                           ['connection_id', 'object', 'erp_id'], unique=False)
    with op.batch_alter_table('erp_bridge_sync_cursor') as batch:
        batch.add_column(sa.Column('running_since', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('pushed', sa.Integer(), nullable=False,
                                   server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('erp_bridge_sync_cursor') as batch:
        batch.drop_column('pushed')
        batch.drop_column('running_since')
    with op.batch_alter_table('erp_bridge_external_id') as batch:
        batch.drop_index(batch.f('ix_erp_bridge_external_id_connection_id_object_erp_id'))
        batch.drop_column('erp_state')
        batch.drop_column('deleted_in_erp_at')
        batch.drop_column('erp_number')
