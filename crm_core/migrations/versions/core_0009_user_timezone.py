"""each user's time zone

A user without one (every user before this revision) sees times in CRM_DEFAULT_TIMEZONE.

Revision ID: d5fb4ec0d9e0
Revises: 5b0c2fb219f4
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd5fb4ec0d9e0'
down_revision = '5b0c2fb219f4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_column('timezone')
