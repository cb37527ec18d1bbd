"""contacts listed by name

Revision ID: 5d7c3a1e9b20
Revises: 8c4e2b9d51a3
Create Date: 2026-12-04 23:50:00

The contacts list (the ``contacts`` Resource, ``/customers/contacts``) sorts by name with a
keyset on ``(name, id)``: this index makes any page of it one index seek.
"""

from __future__ import annotations

from alembic import op

revision = '5d7c3a1e9b20'
down_revision = '8c4e2b9d51a3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_customers_contact_name_id", "customers_contact", ["name", "id"])


def downgrade() -> None:
    op.drop_index("ix_customers_contact_name_id", table_name="customers_contact")
