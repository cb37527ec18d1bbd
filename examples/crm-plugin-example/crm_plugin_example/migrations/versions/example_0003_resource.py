"""note status, priority, soft delete and the sorts' indexes (the notes become a Resource)

Revision ID: 7d3e51a0c2b4
Revises: 304b6a1a96cf
Create Date: 2026-12-04 21:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7d3e51a0c2b4'
down_revision = '304b6a1a96cf'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('example_note', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False,
                                      server_default='open'))
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index('ix_example_note_title_id', ['title', 'id'])
        batch_op.create_index('ix_example_note_priority_id', ['priority', 'id'])
        batch_op.create_index('ix_example_note_created_at_id', ['created_at', 'id'])


def downgrade() -> None:
    with op.batch_alter_table('example_note', schema=None) as batch_op:
        batch_op.drop_index('ix_example_note_created_at_id')
        batch_op.drop_index('ix_example_note_priority_id')
        batch_op.drop_index('ix_example_note_title_id')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('priority')
        batch_op.drop_column('status')
