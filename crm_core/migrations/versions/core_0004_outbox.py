"""the outbox: messages delivered after commit (e-mail, webhooks, OA)

Revision ID: 8be629dfb433
Revises: 5d0e8a41b7c3
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '8be629dfb433'
down_revision = '5d0e8a41b7c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=80), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_outbox_message')),
    sa.UniqueConstraint('channel', 'idempotency_key', name=op.f('uq_core_outbox_message_channel_idempotency_key'))
    )
    with op.batch_alter_table('core_outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_core_outbox_message_due', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_core_outbox_message_due')

    op.drop_table('core_outbox_message')
