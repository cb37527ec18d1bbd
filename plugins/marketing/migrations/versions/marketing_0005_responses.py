"""marketing: campaign responses
and the kept totals the evaluation reads (responses, sales' business, the funnel's stages)

Revision ID: 4a1e0c2b7d04
Revises: 4a1e0c2b7d03
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4a1e0c2b7d04'
down_revision = '4a1e0c2b7d03'
branch_labels = None
depends_on = None


_STAGES = ("sent", "delivered", "opened", "clicked", "unsubscribed", "registered",
           "responded")


def upgrade() -> None:
    op.create_table('marketing_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'], name=op.f('fk_marketing_response_campaign_id_marketing_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['marketing_campaign_member.id'], name=op.f('fk_marketing_response_member_id_marketing_campaign_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'], name=op.f('fk_marketing_response_customer_id_customers_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['customers_contact.id'], name=op.f('fk_marketing_response_contact_id_customers_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_marketing_response_user_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_response'))
    )
    with op.batch_alter_table('marketing_response', schema=None) as batch_op:
        batch_op.create_index('ix_marketing_response_campaign', ['campaign_id', 'created_at'], unique=False)
        batch_op.create_index('ix_marketing_response_member', ['member_id', 'kind'], unique=False)
        batch_op.create_index('ix_marketing_response_created', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketing_response_customer_id'), ['customer_id'], unique=False)

    op.create_table('marketing_campaign_total',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('responses', sa.Integer(), server_default='0', nullable=False),
    sa.Column('opportunities', sa.Integer(), server_default='0', nullable=False),
    sa.Column('won_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('won_amount', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('members', sa.Integer(), server_default='0', nullable=False),
    sa.Column('members_frozen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'], name=op.f('fk_marketing_campaign_total_campaign_id_marketing_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_marketing_campaign_total'))
    )
    op.create_table('marketing_campaign_stage_total',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('shard', sa.Integer(), nullable=False),
    *(sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in _STAGES),
    sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'], name=op.f('fk_marketing_campaign_stage_total_campaign_id_marketing_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'shard', name=op.f('pk_marketing_campaign_stage_total'))
    )
    # recipients stamped before the counts were kept: counted once, into shard 0
    counts = ", ".join(f"count({name}_at)" for name in _STAGES)
    op.execute(f"INSERT INTO marketing_campaign_stage_total (campaign_id, shard, "
               f"{', '.join(_STAGES)}) SELECT campaign_id, 0, {counts} "
               "FROM marketing_campaign_member GROUP BY campaign_id")


def downgrade() -> None:
    op.drop_table('marketing_campaign_stage_total')
    op.drop_table('marketing_campaign_total')
    with op.batch_alter_table('marketing_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_response_customer_id'))
        batch_op.drop_index('ix_marketing_response_created')
        batch_op.drop_index('ix_marketing_response_member')
        batch_op.drop_index('ix_marketing_response_campaign')
    op.drop_table('marketing_response')
