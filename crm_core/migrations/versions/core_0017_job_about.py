"""jobs: what a job works on (an uploaded file's name), shown beside its kind on the jobs
page

Revision ID: 8c21e5a7d4f0
Revises: 3f7b2d9c4e61 (core_0016_job_state_index)
Create Date: 2026-12-07 19:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '8c21e5a7d4f0'
down_revision = '3f7b2d9c4e61'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about', sa.String(length=200), server_default='',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('core_job', schema=None) as batch_op:
        batch_op.drop_column('about')
