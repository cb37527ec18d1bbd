"""analytics: dashboards and their tiles

Revision ID: b8d4f62a1c02
Revises: b8d4f62a1c01
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'b8d4f62a1c02'
down_revision = 'b8d4f62a1c01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
