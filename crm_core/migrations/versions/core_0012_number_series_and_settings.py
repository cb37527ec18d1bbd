"""number series (toolkit.next_number) and admin-edited settings (toolkit.get_setting)

Revision ID: 864a15fbfb47
Revises: 3c1f7a2e9b40
Create Date: 2026-12-06 01:30:59.271771
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '864a15fbfb47'
down_revision = '3c1f7a2e9b40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_number_series',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('period', sa.String(length=120), nullable=False),
    sa.Column('last_value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'period', name=op.f('pk_core_number_series'))
    )
    op.create_table('core_setting',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
              nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_core_setting'))
    )


def downgrade() -> None:
    op.drop_table('core_setting')
    op.drop_table('core_number_series')
