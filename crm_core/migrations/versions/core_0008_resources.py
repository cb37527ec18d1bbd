"""saved views of Resource lists

Revision ID: 5b0c2fb219f4
Revises: b56e616fcc9b
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5b0c2fb219f4'
down_revision = 'b56e616fcc9b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'core_saved_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('resource', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('shared', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['core_user.id'],
                                name=op.f('fk_core_saved_view_user_id_core_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_core_saved_view')),
        sa.UniqueConstraint('user_id', 'resource', 'name',
                            name=op.f('uq_core_saved_view_user_id_resource_name')),
    )
    op.create_index(op.f('ix_core_saved_view_resource'), 'core_saved_view', ['resource'])
    op.create_index(op.f('ix_core_saved_view_user_id'), 'core_saved_view', ['user_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_core_saved_view_user_id'), table_name='core_saved_view')
    op.drop_index(op.f('ix_core_saved_view_resource'), table_name='core_saved_view')
    op.drop_table('core_saved_view')
