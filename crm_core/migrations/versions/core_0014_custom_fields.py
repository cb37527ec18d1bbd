"""custom fields: the definitions table (core_custom_field); values live in each table's
``custom`` column, added by its plugin's migration (toolkit.add_custom_column)

Revision ID: 6e2b3abe5d58
Revises: 5073ed694277 (core_0013_encryption)
Create Date: 2026-12-06 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '6e2b3abe5d58'
down_revision = '5073ed694277'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'core_custom_field',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_kind', sa.String(length=80), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('type', sa.String(length=20), nullable=False),
        sa.Column('labels', sa.JSON(), nullable=False),
        sa.Column('help', sa.JSON(), nullable=False),
        sa.Column('section', sa.String(length=100), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('default', sa.JSON(), nullable=True),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('view_roles', sa.JSON(), nullable=False),
        sa.Column('edit_roles', sa.JSON(), nullable=False),
        sa.Column('filterable', sa.Boolean(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_core_custom_field')),
        sa.UniqueConstraint('record_kind', 'key',
                            name=op.f('uq_core_custom_field_record_kind_key')),
    )
    op.create_index(op.f('ix_core_custom_field_record_kind'), 'core_custom_field',
                    ['record_kind'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_core_custom_field_record_kind'), table_name='core_custom_field')
    op.drop_table('core_custom_field')
