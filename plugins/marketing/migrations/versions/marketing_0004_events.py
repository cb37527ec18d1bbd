"""marketing: event registration pages, registrants and check-in

Revision ID: 4a1e0c2b7d03
Revises: 4a1e0c2b7d02
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4a1e0c2b7d03'
down_revision = '4a1e0c2b7d02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('marketing_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=200), server_default='', nullable=False),
    sa.Column('schedule', sa.String(length=200), server_default='', nullable=False),
    sa.Column('intro', sa.Text(), server_default='', nullable=False),
    sa.Column('questions', sa.JSON(), nullable=True),
    sa.Column('is_open', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'], name=op.f('fk_marketing_event_campaign_id_marketing_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_event')),
    sa.UniqueConstraint('campaign_id', name=op.f('uq_marketing_event_campaign_id')),
    sa.UniqueConstraint('key', name=op.f('uq_marketing_event_key'))
    )
    op.create_table('marketing_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('company', sa.String(length=200), server_default='', nullable=False),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('consent', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['marketing_campaign.id'], name=op.f('fk_marketing_registration_campaign_id_marketing_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['checked_in_by'], ['core_user.id'], name=op.f('fk_marketing_registration_checked_in_by_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['customers_contact.id'], name=op.f('fk_marketing_registration_contact_id_customers_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'], name=op.f('fk_marketing_registration_customer_id_customers_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['marketing_event.id'], name=op.f('fk_marketing_registration_event_id_marketing_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['marketing_campaign_member.id'], name=op.f('fk_marketing_registration_member_id_marketing_campaign_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_registration')),
    sa.UniqueConstraint('code', name=op.f('uq_marketing_registration_code')),
    sa.UniqueConstraint('event_id', 'email', name='uq_marketing_registration_email'),
    sa.UniqueConstraint('event_id', 'phone', name='uq_marketing_registration_phone')
    )
    with op.batch_alter_table('marketing_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_registration_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_marketing_registration_event_id', ['event_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('marketing_registration', schema=None) as batch_op:
        batch_op.drop_index('ix_marketing_registration_event_id')
        batch_op.drop_index(batch_op.f('ix_marketing_registration_campaign_id'))
    op.drop_table('marketing_registration')
    op.drop_table('marketing_event')
