"""service: an index on the time analytics reads the days after its last rollup by

Revision ID: c3f1a8e2d590
Revises: b8a5e64adbdd
Create Date: 2026-12-06 15:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = 'c3f1a8e2d590'
down_revision = 'b8a5e64adbdd'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_ticket', schema=None) as batch_op:
        batch_op.create_index('ix_service_ticket_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_service_ticket_created_at')
