"""jobs: an index on the state (the re-send beat and the metrics ask for the few queued and
running jobs among every finished one)

Revision ID: 3f7b2d9c4e61
Revises: 3394d8a63c16 (core_0015_privacy)
Create Date: 2026-12-06 20:25:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '3f7b2d9c4e61'
down_revision = '3394d8a63c16'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_job_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_job_state'))
