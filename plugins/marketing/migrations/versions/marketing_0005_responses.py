"""marketing: campaign responses

Revision ID: 4a1e0c2b7d04
Revises: 4a1e0c2b7d03
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '4a1e0c2b7d04'
down_revision = '4a1e0c2b7d03'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
