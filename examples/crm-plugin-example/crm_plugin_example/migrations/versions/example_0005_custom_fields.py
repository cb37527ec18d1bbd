"""custom fields on notes: the ``custom`` JSON column (the kernel adds and drops the indexes
of filterable fields itself)

Revision ID: 9e4a6c1d2f58
Revises: 5b9c2e7f1a36
Create Date: 2026-12-06 20:15:00.000000
"""

from __future__ import annotations

from crm_core.toolkit import add_custom_column, drop_custom_column

revision = '9e4a6c1d2f58'
down_revision = '5b9c2e7f1a36'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_custom_column("example_note")


def downgrade() -> None:
    drop_custom_column("example_note")
