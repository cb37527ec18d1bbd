"""sales: indexes on the times analytics reads the days after its last rollup by

Revision ID: 5c2e9a7d4f18
Revises: 3b8e5d1c7a26
Create Date: 2026-12-06 15:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '5c2e9a7d4f18'
down_revision = '3b8e5d1c7a26'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index('ix_sales_order_confirmed_at', ['confirmed_at'], unique=False)
    with op.batch_alter_table('sales_opportunity', schema=None) as batch_op:
        batch_op.create_index('ix_sales_opportunity_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sales_opportunity', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_opportunity_created_at')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_order_confirmed_at')
