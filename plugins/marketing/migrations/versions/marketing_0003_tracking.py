"""marketing: tracked links, opens and clicks per recipient

Revision ID: 4a1e0c2b7d02
Revises: 4a1e0c2b7d01
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '4a1e0c2b7d02'
down_revision = '4a1e0c2b7d01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
