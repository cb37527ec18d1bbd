"""encrypted fields: a person's ID-card number and the bank account for invoices

Revision ID: 8febd5456da4
Revises: 5f1a7c3e9b42 (customers_0011_customer_flags)
Create Date: 2026-12-06 16:45:00

The values are stored encrypted by the key ring (``toolkit.EncryptedString``: text such as
``enc1:<key id>:...``); the ``*_bidx`` columns hold their blind indexes (HMAC-SHA256, hex)
for exact lookups. Nothing is copied: the columns start empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '8febd5456da4'
down_revision = '5f1a7c3e9b42'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_card_number', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('id_card_number_bidx', sa.String(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('bank_name', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('bank_account', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('bank_account_bidx', sa.String(length=64),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_customer_id_card_number_bidx'),
                              ['id_card_number_bidx'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_customer_bank_account_bidx'),
                              ['bank_account_bidx'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_customer_bank_account_bidx'))
        batch_op.drop_index(batch_op.f('ix_customers_customer_id_card_number_bidx'))
        batch_op.drop_column('bank_account_bidx')
        batch_op.drop_column('bank_account')
        batch_op.drop_column('bank_name')
        batch_op.drop_column('id_card_number_bidx')
        batch_op.drop_column('id_card_number')
