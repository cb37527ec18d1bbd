"""analytics: dashboards and their tiles

Revision ID: b8d4f62a1c02
Revises: b8d4f62a1c01
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b8d4f62a1c02'
down_revision = 'b8d4f62a1c01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_dashboard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_analytics_dashboard_owner_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_dashboard'))
    )
    with op.batch_alter_table('analytics_dashboard', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_dashboard_owner_id', ['owner_id'], unique=False)

    op.create_table('analytics_dashboard_role',
    sa.Column('dashboard_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dashboard_id'], ['analytics_dashboard.id'], name=op.f('fk_analytics_dashboard_role_dashboard_id_analytics_dashboard'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['core_role.id'], name=op.f('fk_analytics_dashboard_role_role_id_core_role'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dashboard_id', 'role_id', name=op.f('pk_analytics_dashboard_role'))
    )
    with op.batch_alter_table('analytics_dashboard_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_dashboard_role_role_id'), ['role_id'], unique=False)

    op.create_table('analytics_dashboard_tile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dashboard_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('ref', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('width', sa.Integer(), server_default='6', nullable=False),
    sa.Column('height', sa.String(length=1), server_default='m', nullable=False),
    sa.ForeignKeyConstraint(['dashboard_id'], ['analytics_dashboard.id'], name=op.f('fk_analytics_dashboard_tile_dashboard_id_analytics_dashboard'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_dashboard_tile'))
    )
    with op.batch_alter_table('analytics_dashboard_tile', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_dashboard_tile_dashboard_position', ['dashboard_id', 'position'], unique=False)


def downgrade() -> None:
    op.drop_table('analytics_dashboard_tile')
    op.drop_table('analytics_dashboard_role')
    op.drop_table('analytics_dashboard')
