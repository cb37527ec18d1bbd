"""receivable totals: what is owed per due date, owner and department

Revision ID: 3b8e5d1c7a26
Revises: 9d3f6b2a8e14 (sales_0004_sort_and_ageing_indexes)
Create Date: 2026-12-06 08:00:00

The receivables ageing widget grouped every unpaid instalment live (185 ms for an
administrator at a million orders); it now reads this kept aggregate, one row per due date
and owner. Filled here from the records, as ``crm sales rebuild-aggregates`` does; kept by
``sales.aggregates.receivables``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '3b8e5d1c7a26'
down_revision = '9d3f6b2a8e14'
branch_labels = None
depends_on = None

FILL = """
INSERT INTO sales_receivable_total (due_date, owner_id, department_id, count, amount)
SELECT i.due_date, c.owner_id, c.department_id, count(i.id),
       coalesce(sum(i.amount - i.received_amount), 0)
FROM sales_instalment i JOIN sales_contract c ON c.id = i.contract_id
WHERE i.status IN ('open', 'partial') AND c.deleted_at IS NULL
  AND c.status IN ('active', 'expired', 'terminated')
GROUP BY i.due_date, c.owner_id, c.department_id
"""


def upgrade() -> None:
    op.create_table('sales_receivable_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('amount', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_receivable_total')),
    sa.UniqueConstraint('due_date', 'owner_id', 'department_id',
                        name='uq_sales_receivable_total')
    )
    with op.batch_alter_table('sales_receivable_total', schema=None) as batch_op:
        batch_op.create_index('ix_sales_receivable_total_owner', ['owner_id', 'due_date'],
                              unique=False)
        batch_op.create_index('ix_sales_receivable_total_department',
                              ['department_id', 'due_date'], unique=False)
    op.execute(FILL)


def downgrade() -> None:
    with op.batch_alter_table('sales_receivable_total', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_receivable_total_department')
        batch_op.drop_index('ix_sales_receivable_total_owner')
    op.drop_table('sales_receivable_total')
