"""the operation log and jobs keep each message's text id and values, so it shows in the
reader's language

Revision ID: 3c1f7a2e9b40
Revises: 902ff4a9d0f4
Create Date: 2026-12-05 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '3c1f7a2e9b40'
down_revision = '902ff4a9d0f4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_data', sa.Text(), nullable=True))
    with op.batch_alter_table('core_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_data', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('core_job', schema=None) as batch_op:
        batch_op.drop_column('message_data')
    with op.batch_alter_table('core_audit_log', schema=None) as batch_op:
        batch_op.drop_column('message_data')
