"""analytics rollups: facts per source, measure, day, dimension value, owner and department

Revision ID: a7c3e51f0b21
Revises:
Create Date: 2026-12-06 12:10:00.000000

Empty at first: ``crm analytics rebuild`` (or the nightly beat task) fills it; until then the
query API answers from the records directly.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a7c3e51f0b21'
down_revision = None
branch_labels = ('analytics',)
# the kernel's users and departments (core_0002): the owner and department ids it keeps
depends_on = ('c6220341862f',)


def upgrade() -> None:
    op.create_table('analytics_rollup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('measure', sa.String(length=60), nullable=False),
    sa.Column('dimension', sa.String(length=60), server_default='', nullable=False),
    sa.Column('value', sa.String(length=200), nullable=True),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('total', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('n', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_rollup'))
    )
    with op.batch_alter_table('analytics_rollup', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_rollup_source_dimension_day',
                              ['source', 'measure', 'dimension', 'day'], unique=False)


def downgrade() -> None:
    op.drop_table('analytics_rollup')
