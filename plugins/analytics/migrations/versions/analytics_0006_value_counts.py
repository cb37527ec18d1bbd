"""customer value counts: customers per segment and churn level of each owner and department,
kept by the computation for the overview page

Revision ID: c41d7e2a9b06
Revises: f2958567eb68 (analytics_0005_month_rollups)
Create Date: 2026-12-06 20:10:00

Empty at first: until the next computation (nightly, or ``crm analytics value``) the page
counts the values themselves, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c41d7e2a9b06'
down_revision = 'f2958567eb68'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_customer_value_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_customer_value_count'))
    )
    with op.batch_alter_table('analytics_customer_value_count', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_customer_value_count_kind', ['kind', 'code'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('analytics_customer_value_count', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_customer_value_count_kind')
    op.drop_table('analytics_customer_value_count')
