"""notifications and each user's channel choices

Revision ID: 20ddf519e137
Revises: 8be629dfb433
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '20ddf519e137'
down_revision = '8be629dfb433'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('in_app', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_notification_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_notification'))
    )
    with op.batch_alter_table('core_notification', schema=None) as batch_op:
        batch_op.create_index('ix_core_notification_user_list', ['user_id', 'in_app', 'id'], unique=False)
        batch_op.create_index('ix_core_notification_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('core_notification_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('channel', sa.String(length=80), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_notification_preference_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_notification_preference')),
    sa.UniqueConstraint('user_id', 'kind', 'channel', name=op.f('uq_core_notification_preference_user_id_kind_channel'))
    )
    with op.batch_alter_table('core_notification_preference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_notification_preference_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_notification_preference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_notification_preference_user_id'))

    op.drop_table('core_notification_preference')
    with op.batch_alter_table('core_notification', schema=None) as batch_op:
        batch_op.drop_index('ix_core_notification_user_unread')
        batch_op.drop_index('ix_core_notification_user_list')

    op.drop_table('core_notification')
