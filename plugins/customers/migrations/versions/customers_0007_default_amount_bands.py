"""default amount bands

Revision ID: 3b9f1d7c2e84
Revises: a7e31c0d5f62 (customers_0006_imports_on_the_kernel)
Create Date: 2026-12-05 01:20:00

A new install gets four transaction-amount bands (below ¥10k, ¥10k–100k, ¥100k–1M, ¥1M and
more) so the "Customers by amount band" chart means something before an administrator
sets bands of their own. Only an empty band table is filled: an install that has bands
keeps them. Thresholds are in fen, as ``customers_amount_band.min_amount`` stores them.
Downgrade removes the default bands that are still as seeded (same name and threshold).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '3b9f1d7c2e84'
down_revision = 'a7e31c0d5f62'
branch_labels = None
depends_on = None

_band = sa.table("customers_amount_band", sa.column("id", sa.Integer),
                 sa.column("name", sa.String), sa.column("min_amount", sa.BigInteger))
_YUAN = 100  # fen per yuan
DEFAULT_BANDS = (
    ("1万以下", 0),
    ("1万–10万", 10_000 * _YUAN),
    ("10万–100万", 100_000 * _YUAN),
    ("100万以上", 1_000_000 * _YUAN),
)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.execute(sa.select(sa.func.count()).select_from(_band)).scalar():
        return
    op.bulk_insert(_band, [{"name": name, "min_amount": amount}
                           for name, amount in DEFAULT_BANDS])


def downgrade() -> None:
    for name, amount in DEFAULT_BANDS:
        op.execute(_band.delete().where(_band.c.name == name, _band.c.min_amount == amount))
