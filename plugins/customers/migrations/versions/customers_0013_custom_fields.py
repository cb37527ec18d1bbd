"""custom fields: the ``custom`` column of customers and contacts (kernel custom_fields;
the indexes of filterable fields are the kernel's, made and dropped as administrators decide)

Revision ID: f95e8053bbc0
Revises: 8febd5456da4 (customers_0012_encrypted_fields)
Create Date: 2026-12-06 16:45:00
"""

from __future__ import annotations

from crm_core.toolkit import add_custom_column, drop_custom_column

revision = 'f95e8053bbc0'
down_revision = '8febd5456da4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_custom_column("customers_customer")
    add_custom_column("customers_contact")


def downgrade() -> None:
    drop_custom_column("customers_contact")
    drop_custom_column("customers_customer")
