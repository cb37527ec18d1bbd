"""custom fields: the campaigns' ``custom`` column (kernel custom_fields; the indexes of
filterable fields are the kernel's)

Revision ID: 049c93c0df85
Revises: e227c484908a (marketing_0006_send_speed)
Create Date: 2026-12-06 16:45:00
"""

from __future__ import annotations

from crm_core.toolkit import add_custom_column, drop_custom_column

revision = '049c93c0df85'
down_revision = 'e227c484908a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_custom_column("marketing_campaign")


def downgrade() -> None:
    drop_custom_column("marketing_campaign")
