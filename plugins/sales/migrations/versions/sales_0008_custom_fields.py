"""custom fields: the ``custom`` column of opportunities, orders and contracts (kernel
custom_fields; the indexes of filterable fields are the kernel's)

Revision ID: b7c5c043da22
Revises: 2e622948bca5 (sales_0007_order_campaign)
Create Date: 2026-12-06 16:45:00
"""

from __future__ import annotations

from crm_core.toolkit import add_custom_column, drop_custom_column

revision = 'b7c5c043da22'
down_revision = '2e622948bca5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_custom_column("sales_opportunity")
    add_custom_column("sales_order")
    add_custom_column("sales_contract")


def downgrade() -> None:
    drop_custom_column("sales_contract")
    drop_custom_column("sales_order")
    drop_custom_column("sales_opportunity")
