"""a customer's department follows its owner

Revision ID: 8c4e2b9d51a3
Revises: 3f9a1c2d7e04
Create Date: 2026-12-04 19:30:00

Before issue 8's fix, an API create or a PATCH of ``owner_id`` could leave a customer in the
department of whoever made the request rather than its owner's, so a manager of that
department saw a record of another team. From now on the service layer derives the department
from the owner on every path (``plugins.customers.records.ownership``); this data migration mends the
rows written before: every owned customer takes its owner's department. Customers without an
owner are left as they are. The counters behind the widgets (``customers_stat``) catch up at
their next refresh (beat, every 10 minutes, or "Refresh now").
"""

from __future__ import annotations

from alembic import op

revision = '8c4e2b9d51a3'
down_revision = '3f9a1c2d7e04'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE customers_customer SET department_id = ("
        "SELECT core_user.department_id FROM core_user "
        "WHERE core_user.id = customers_customer.owner_id) "
        "WHERE owner_id IS NOT NULL")


def downgrade() -> None:
    pass  # the old departments were wrong; there is nothing to put back
