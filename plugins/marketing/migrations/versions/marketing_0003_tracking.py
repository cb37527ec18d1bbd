"""marketing: tracked links, opens and clicks per recipient

Revision ID: 4a1e0c2b7d02
Revises: 4a1e0c2b7d01
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4a1e0c2b7d02'
down_revision = '4a1e0c2b7d01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('marketing_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('is_cta', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'],
                            name=op.f('fk_marketing_link_campaign_id_marketing_campaign'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_link')),
    sa.UniqueConstraint('campaign_id', 'number', name='uq_marketing_link_number'),
    sa.UniqueConstraint('campaign_id', 'url', name='uq_marketing_link_url')
    )
    op.create_table('marketing_link_click',
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('clicks', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['marketing_link.id'],
                            name=op.f('fk_marketing_link_click_link_id_marketing_link'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['marketing_campaign_member.id'],
                            name=op.f('fk_marketing_link_click_member_id_marketing_campaign_member'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('link_id', 'member_id', name=op.f('pk_marketing_link_click'))
    )
    op.create_index('ix_marketing_link_click_member_id', 'marketing_link_click', ['member_id'],
                    unique=False)
    op.create_index('ix_marketing_campaign_member_campaign_id', 'marketing_campaign_member',
                    ['campaign_id', 'id'], unique=False)
    op.create_index('ix_marketing_campaign_member_status', 'marketing_campaign_member',
                    ['campaign_id', 'status', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_marketing_campaign_member_status', table_name='marketing_campaign_member')
    op.drop_index('ix_marketing_campaign_member_campaign_id',
                  table_name='marketing_campaign_member')
    op.drop_index('ix_marketing_link_click_member_id', table_name='marketing_link_click')
    op.drop_table('marketing_link_click')
    op.drop_table('marketing_link')
