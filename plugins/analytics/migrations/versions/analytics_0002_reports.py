"""analytics: saved reports and their subscriptions

Revision ID: b8d4f62a1c01
Revises: a7c3e51f0b21
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'b8d4f62a1c01'
down_revision = 'a7c3e51f0b21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
