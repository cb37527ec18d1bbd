"""marketing: e-mail templates, sends and their messages

Revision ID: 4a1e0c2b7d01
Revises: 9901995f7d7e
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4a1e0c2b7d01'
down_revision = '9901995f7d7e'
branch_labels = None
depends_on = None


_STAGES = ("sent_at", "delivered_at", "opened_at", "clicked_at", "unsubscribed_at",
           "registered_at", "responded_at")


def upgrade() -> None:
    with op.batch_alter_table('marketing_campaign_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant', sa.String(length=8), server_default='',
                                      nullable=False))
        for name in _STAGES:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'marketing_mail_send',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('phase', sa.String(length=10), nullable=False),
        sa.Column('subject_b', sa.String(length=200), server_default='', nullable=False),
        sa.Column('sample_percent', sa.Integer(), server_default='0', nullable=False),
        sa.Column('metric', sa.String(length=10), server_default='opens', nullable=False),
        sa.Column('winner', sa.String(length=1), server_default='', nullable=False),
        sa.Column('winner_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('base_url', sa.String(length=300), server_default='', nullable=False),
        sa.Column('total', sa.Integer(), server_default='0', nullable=False),
        sa.Column('queued', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_member_id', sa.Integer(), server_default='0', nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'],
                                name=op.f('fk_marketing_mail_send_campaign_id_marketing_campaign'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['core_user.id'],
                                name=op.f('fk_marketing_mail_send_user_id_core_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_marketing_mail_send')))


def downgrade() -> None:
    op.drop_table('marketing_mail_send')
    with op.batch_alter_table('marketing_campaign_member', schema=None) as batch_op:
        for name in reversed(_STAGES):
            batch_op.drop_column(name)
        batch_op.drop_column('variant')
