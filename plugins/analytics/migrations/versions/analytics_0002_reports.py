"""analytics: saved reports and their subscriptions

Revision ID: b8d4f62a1c01
Revises: a7c3e51f0b21
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b8d4f62a1c01'
down_revision = 'a7c3e51f0b21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('measure', sa.String(length=60), nullable=False),
    sa.Column('dimensions', sa.JSON(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('chart', sa.String(length=10), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_analytics_report_owner_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_report'))
    )
    with op.batch_alter_table('analytics_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_report_owner_id'), ['owner_id'], unique=False)

    op.create_table('analytics_report_role',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['analytics_report.id'], name=op.f('fk_analytics_report_role_report_id_analytics_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['core_role.id'], name=op.f('fk_analytics_report_role_role_id_core_role'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'role_id', name=op.f('pk_analytics_report_role'))
    )
    with op.batch_alter_table('analytics_report_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_report_role_role_id'), ['role_id'], unique=False)

    op.create_table('analytics_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('dashboard_id', sa.Integer(), nullable=True),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('day', sa.SmallInteger(), nullable=False),
    sa.Column('last_period', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['analytics_report.id'], name=op.f('fk_analytics_subscription_report_id_analytics_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_analytics_subscription_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_subscription'))
    )
    with op.batch_alter_table('analytics_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_subscription_dashboard_id'), ['dashboard_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analytics_subscription_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analytics_subscription_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('analytics_subscription')
    op.drop_table('analytics_report_role')
    op.drop_table('analytics_report')
