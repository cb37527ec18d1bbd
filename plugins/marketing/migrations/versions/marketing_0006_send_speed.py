"""send speed, and orders in a campaign's revenue.

- ``marketing_campaign_total`` keeps the orders carrying the campaign (``order_count``,
  ``order_amount``) beside its won opportunities.
- ``marketing_campaign_member`` loses its foreign keys to contacts and customers: the frozen
  audience is a snapshot, and checking both keys per inserted row (each locking the contact
  and the customer row) was more than half of freezing 500,000 recipients on PostgreSQL. The
  ids stay (no data is dropped).

(The faster send and tracking need no other schema change: the outbox stamps "sent" per
batch and tracking hits are buffered.)

Revision ID: e227c484908a
Revises: 4a1e0c2b7d04 (marketing_0005_responses)
Create Date: 2026-12-06 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e227c484908a'
down_revision = '4a1e0c2b7d04'
branch_labels = None
depends_on = None


MEMBER_KEYS = (("fk_marketing_campaign_member_contact_id_customers_contact", "contact_id",
                "customers_contact"),
               ("fk_marketing_campaign_member_customer_id_customers_customer", "customer_id",
                "customers_customer"))


def upgrade() -> None:
    with op.batch_alter_table("marketing_campaign_member") as batch:
        for name, _column, _table in MEMBER_KEYS:
            batch.drop_constraint(name, type_="foreignkey")
    op.add_column("marketing_campaign_total",
                  sa.Column("order_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("marketing_campaign_total",
                  sa.Column("order_amount", sa.BigInteger(), server_default="0",
                            nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("marketing_campaign_total") as batch:
        batch.drop_column("order_amount")
        batch.drop_column("order_count")
    with op.batch_alter_table("marketing_campaign_member") as batch:
        for name, column, table in MEMBER_KEYS:
            batch.create_foreign_key(name, table, [column], ["id"], ondelete="SET NULL")
