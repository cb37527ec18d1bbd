"""encryption at rest: no kernel table (a no-op kept so the revision chain stays as reserved)

Revision ID: 5073ed694277
Revises: 864a15fbfb47 (core_0012_number_series_and_settings)
Create Date: 2026-12-06 16:45:00

The key ring lives in the configuration (``CRM_ENCRYPTION_KEY``), encrypted values in the
plugins' own columns (``toolkit.EncryptedString``) and rotation in the kernel's job table.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '5073ed694277'
down_revision = '864a15fbfb47'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
