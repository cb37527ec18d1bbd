"""drop the (industry, id) index: (industry, province, total_amount, id) serves its lists

Revision ID: 9c3d5e7f1a20
Revises: 4e8b2f6a0c19 (customers_0009_list_sort_indexes)
Create Date: 2026-12-06 05:10:00

Issue 11, import at a million rows. Every index of ``customers_customer`` costs each
imported row a B-tree insert. A list filtered by industry (and the counts by industry) reads
the leading column of ``(industry, province, total_amount, id)`` just as it read
``(industry, id)``: the same plan (``EXPLAIN QUERY PLAN``: a search on ``industry=?`` and a
sort of the matches in the list's order), so the older index only cost writes.
"""

from __future__ import annotations

from alembic import op

revision = '9c3d5e7f1a20'
down_revision = '4e8b2f6a0c19'
branch_labels = None
depends_on = None

TABLE = "customers_customer"
NAME = "ix_customers_customer_industry_id"


def upgrade() -> None:
    op.drop_index(NAME, table_name=TABLE)


def downgrade() -> None:
    op.create_index(NAME, TABLE, ["industry", "id"])
