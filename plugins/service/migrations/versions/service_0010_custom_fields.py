"""custom fields: the tickets' ``custom`` column (kernel custom_fields; the indexes of
filterable fields are the kernel's)

Revision ID: a78b9dd7f677
Revises: c3f1a8e2d590 (service_0009_analytics_dates)
Create Date: 2026-12-06 16:45:00
"""

from __future__ import annotations

from crm_core.toolkit import add_custom_column, drop_custom_column

revision = 'a78b9dd7f677'
down_revision = 'c3f1a8e2d590'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_custom_column("service_ticket")


def downgrade() -> None:
    drop_custom_column("service_ticket")
