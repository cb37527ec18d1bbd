"""indexes for the lists people use: a rep's own customers, an industry and province

Revision ID: 4e8b2f6a0c19
Revises: 6106506e4b99 (customers_0008_sales_may_import)
Create Date: 2026-12-05 22:30:00

Issue 11, "Speed at a million". Each index serves a list with its filter and its order at
once, so a page is one index range read from its cursor, never a sort of every matching
customer:

- ``(owner_id, updated_at, id)``: a sales rep who sees their own customers, or anyone's list
  filtered by owner, in the default order (newest change first). Without it SQLite read the
  rep's customers through ``(owner_id, follow_up_on)`` and sorted all of them (~47,000 of a
  million: 80-92 ms p95).
- ``(industry, province, total_amount, id)``: a list filtered by industry and province (the
  benchmark's combination: 145-237 ms p95 at a million, the database reading the whole
  industry, or walking every amount, to sort). Sorted by amount, a page is one range from
  its cursor (0.2 ms on PostgreSQL); in another order the database sorts only that industry
  in that province (about a thousand of a million: ~8 ms). Filtered by industry alone the
  lists stay as they were, well served by walking the order's own index (the industry is
  common: one customer in seven).
"""

from __future__ import annotations

from alembic import op

revision = '4e8b2f6a0c19'
down_revision = '6106506e4b99'
branch_labels = None
depends_on = None

TABLE = "customers_customer"
INDEXES = {
    "ix_customers_customer_owner_id_updated_at_id": ["owner_id", "updated_at", "id"],
    "ix_customers_customer_industry_province_total_amount_id": ["industry", "province",
                                                                "total_amount", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, TABLE, columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name=TABLE)
