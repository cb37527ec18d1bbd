"""analytics: RFM scores and churn risk per customer

Revision ID: b8d4f62a1c03
Revises: b8d4f62a1c02
Create Date: 2026-12-06 14:00:00.000000

Empty at first: ``crm analytics value`` (or the nightly beat task) fills it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b8d4f62a1c03'
down_revision = 'b8d4f62a1c02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_customer_value',
    sa.Column('customer_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('r', sa.Integer(), nullable=False),
    sa.Column('f', sa.Integer(), nullable=False),
    sa.Column('m', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=30), nullable=False),
    sa.Column('purchases', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('days_since', sa.Integer(), nullable=False),
    sa.Column('rhythm_days', sa.Integer(), nullable=False),
    sa.Column('risk', sa.Integer(), nullable=False),
    sa.Column('churn', sa.String(length=10), nullable=False),
    sa.Column('own_rhythm', sa.Boolean(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_analytics_customer_value'))
    )
    with op.batch_alter_table('analytics_customer_value', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_customer_value_churn',
                              ['churn', 'risk', 'customer_id'], unique=False)
        batch_op.create_index('ix_analytics_customer_value_segment',
                              ['segment', 'amount', 'customer_id'], unique=False)


def downgrade() -> None:
    op.drop_table('analytics_customer_value')
