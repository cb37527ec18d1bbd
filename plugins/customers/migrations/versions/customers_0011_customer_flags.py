"""customer flags: what other plugins raise on a customer until they clear it

Revision ID: 5f1a7c3e9b42
Revises: 9c3d5e7f1a20 (customers_0010_drop_covered_industry_index)
Create Date: 2026-12-06 08:30:00

A complaint (the service plugin) or another cause flags a customer through customers'
public ``raise_flag``; the 360° page shows the open flags. One row per customer, kind and
reference, opened again when raised again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5f1a7c3e9b42'
down_revision = '9c3d5e7f1a20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customers_customer_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('reference', sa.String(length=100), server_default='', nullable=False),
    sa.Column('note', sa.String(length=200), server_default='', nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'],
                            name=op.f('fk_customers_customer_flag_customer_id_customers_customer'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_customer_flag')),
    sa.UniqueConstraint('customer_id', 'kind', 'reference', name='uq_customers_customer_flag')
    )
    with op.batch_alter_table('customers_customer_flag', schema=None) as batch_op:
        batch_op.create_index('ix_customers_customer_flag_kind_open', ['kind', 'cleared_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customers_customer_flag', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_customer_flag_kind_open')
    op.drop_table('customers_customer_flag')
