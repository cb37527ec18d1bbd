"""owner-first indexes for the notes list's sorts (a rep's own notes, one index seek)

Revision ID: 5b9c2e7f1a36
Revises: 7d3e51a0c2b4
Create Date: 2026-12-04 23:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '5b9c2e7f1a36'
down_revision = '7d3e51a0c2b4'
branch_labels = None
depends_on = None

# (owner_id, id) also serves what the single-column owner index did (the foreign key)
INDEXES = {
    'ix_example_note_owner_id_id': ['owner_id', 'id'],
    'ix_example_note_owner_id_title_id': ['owner_id', 'title', 'id'],
    'ix_example_note_owner_id_priority_id': ['owner_id', 'priority', 'id'],
    'ix_example_note_owner_id_created_at_id': ['owner_id', 'created_at', 'id'],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, 'example_note', columns)
    op.drop_index('ix_example_note_owner_id', table_name='example_note')


def downgrade() -> None:
    op.create_index('ix_example_note_owner_id', 'example_note', ['owner_id'])
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='example_note')
