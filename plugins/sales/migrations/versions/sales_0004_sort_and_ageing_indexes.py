"""a rep's sorts, the receivables ageing's covering index, closed stages in the stage totals

Revision ID: 9d3f6b2a8e14
Revises: 7c4e1a9b2d50 (sales_0003_forecast_totals)
Create Date: 2026-12-06 05:00:00

- ``(owner_id, amount, id)`` on opportunities, ``(owner_id, number, id)`` on contracts and
  ``(owner_id, received_on, id)`` on payments: a rep's list sorted by amount, number or date
  reads one index range instead of sorting all their rows.
- ``ix_sales_instalment_owed`` ``(status, due_date, amount, received_amount, contract_id)``
  replaces ``ix_sales_instalment_due`` ``(status, due_date)``, its prefix: the ageing reads
  the index alone.
- ``sales_stage_total`` now counts the won and lost stages too (the kanban's headers read it
  for every column): recomputed here from the opportunities, as ``crm sales
  rebuild-aggregates`` does.
"""

from __future__ import annotations

from alembic import op

revision = '9d3f6b2a8e14'
down_revision = '7c4e1a9b2d50'
branch_labels = None
depends_on = None

STAGE_TOTALS = """
INSERT INTO sales_stage_total (stage_id, owner_id, department_id, count, amount)
SELECT stage_id, owner_id, department_id, count(id), coalesce(sum(amount), 0)
FROM sales_opportunity WHERE deleted_at IS NULL {only}
GROUP BY stage_id, owner_id, department_id
"""


DATA_LOSS_REVIEWED = {
    "sales_stage_total rows": "a kept aggregate, refilled from the opportunities by "
    "STAGE_TOTALS right after, in the same migration"}

def upgrade() -> None:
    with op.batch_alter_table('sales_opportunity', schema=None) as batch_op:
        batch_op.create_index('ix_sales_opportunity_owner_amount',
                              ['owner_id', 'amount', 'id'], unique=False)
    with op.batch_alter_table('sales_contract', schema=None) as batch_op:
        batch_op.create_index('ix_sales_contract_owner_number', ['owner_id', 'number', 'id'],
                              unique=False)
    with op.batch_alter_table('sales_payment', schema=None) as batch_op:
        batch_op.create_index('ix_sales_payment_owner_received',
                              ['owner_id', 'received_on', 'id'], unique=False)
    with op.batch_alter_table('sales_instalment', schema=None) as batch_op:
        batch_op.create_index('ix_sales_instalment_owed',
                              ['status', 'due_date', 'amount', 'received_amount',
                               'contract_id'], unique=False)
        batch_op.drop_index('ix_sales_instalment_due')
    op.execute("DELETE FROM sales_stage_total")
    op.execute(STAGE_TOTALS.format(only=""))


def downgrade() -> None:
    op.execute("DELETE FROM sales_stage_total")
    op.execute(STAGE_TOTALS.format(only="AND status = 'open'"))
    with op.batch_alter_table('sales_instalment', schema=None) as batch_op:
        batch_op.create_index('ix_sales_instalment_due', ['status', 'due_date'],
                              unique=False)
        batch_op.drop_index('ix_sales_instalment_owed')
    with op.batch_alter_table('sales_payment', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_payment_owner_received')
    with op.batch_alter_table('sales_contract', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_contract_owner_number')
    with op.batch_alter_table('sales_opportunity', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_opportunity_owner_amount')
