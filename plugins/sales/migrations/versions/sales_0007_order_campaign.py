"""order campaign: ``sales_order.campaign_id`` (indexed), taken from the order's opportunity

Revision ID: 2e622948bca5
Revises: 5c2e9a7d4f18 (sales_0006_analytics_dates)
Create Date: 2026-12-06 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2e622948bca5'
down_revision = '5c2e9a7d4f18'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sales_order", sa.Column("campaign_id", sa.Integer(), nullable=True))
    # orders made from an opportunity before now carry its campaign too
    op.execute("UPDATE sales_order SET campaign_id = (SELECT o.campaign_id FROM "
               "sales_opportunity o WHERE o.id = sales_order.opportunity_id) "
               "WHERE opportunity_id IS NOT NULL")
    op.create_index("ix_sales_order_campaign_id", "sales_order", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_sales_order_campaign_id", table_name="sales_order")
    with op.batch_alter_table("sales_order") as batch:
        batch.drop_column("campaign_id")
