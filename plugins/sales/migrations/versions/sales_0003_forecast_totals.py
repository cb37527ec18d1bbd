"""forecast totals, and the owner in the product totals

Revision ID: 7c4e1a9b2d50
Revises: 5a2c8e1f7d30 (sales_0002_defaults)
Create Date: 2026-12-06 02:15:00

The forecast page and widget read this maintained aggregate instead of grouping the open
opportunities (a full pass over them at millions). Filled by ``crm sales
rebuild-aggregates`` (``sales.aggregates.rebuild``); kept by ``sales.aggregates.forecast``.
``sales_product_monthly_total`` gains ``owner_id`` (a rep's top products read the aggregate
instead of their orders' lines); its rows are derived, so they are emptied here and
``crm sales rebuild-aggregates`` refills them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7c4e1a9b2d50'
down_revision = '5a2c8e1f7d30'
branch_labels = None
depends_on = None


DATA_LOSS_REVIEWED = {
    "sales_product_monthly_total rows": "a kept aggregate (derived from order lines), "
    "emptied because its key gains the owner; `crm sales rebuild-aggregates` refills it"}

def upgrade() -> None:
    op.create_table('sales_forecast_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=12), nullable=False),
    sa.Column('count', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('amount', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('weighted', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_forecast_total')),
    sa.UniqueConstraint('month', 'owner_id', 'department_id', 'category',
                        name='uq_sales_forecast_total')
    )
    with op.batch_alter_table('sales_forecast_total', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_forecast_total_month'), ['month'],
                              unique=False)
        batch_op.create_index('ix_sales_forecast_total_owner', ['owner_id', 'month'],
                              unique=False)
        batch_op.create_index('ix_sales_forecast_total_department',
                              ['department_id', 'month'], unique=False)


    op.execute("DELETE FROM sales_product_monthly_total")
    with op.batch_alter_table('sales_product_monthly_total', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_sales_product_monthly_total', type_='unique')
        batch_op.create_unique_constraint(
            'uq_sales_product_monthly_total',
            ['month', 'product_id', 'owner_id', 'department_id'])
        batch_op.create_index('ix_sales_product_monthly_total_owner', ['owner_id', 'month'],
                              unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM sales_product_monthly_total")
    with op.batch_alter_table('sales_product_monthly_total', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_product_monthly_total_owner')
        batch_op.drop_constraint('uq_sales_product_monthly_total', type_='unique')
        batch_op.create_unique_constraint('uq_sales_product_monthly_total',
                                          ['month', 'product_id', 'department_id'])
        batch_op.drop_column('owner_id')
    with op.batch_alter_table('sales_forecast_total', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_forecast_total_department')
        batch_op.drop_index('ix_sales_forecast_total_owner')
        batch_op.drop_index(batch_op.f('ix_sales_forecast_total_month'))
    op.drop_table('sales_forecast_total')
