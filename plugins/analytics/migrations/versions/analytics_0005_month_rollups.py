"""month rollups: facts per source, measure, month, dimension value (or pair), owner and
department

Revision ID: f2958567eb68
Revises: b8d4f62a1c03 (analytics_0004_value)
Create Date: 2026-12-06 16:45:00

Empty at first: the next rebuild (nightly, or ``crm analytics rebuild``) fills it and marks
the sources' rollup state with ``months``; until then queries read the day rollups as
before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f2958567eb68'
down_revision = 'b8d4f62a1c03'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_rollup_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('measure', sa.String(length=60), nullable=False),
    sa.Column('dimension', sa.String(length=121), server_default='', nullable=False),
    sa.Column('value', sa.String(length=200), nullable=True),
    sa.Column('value2', sa.String(length=200), nullable=True),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('total', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('n', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_rollup_month'))
    )
    with op.batch_alter_table('analytics_rollup_month', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_rollup_month_source_dimension_month',
                              ['source', 'measure', 'dimension', 'month'], unique=False)


def downgrade() -> None:
    op.drop_table('analytics_rollup_month')
