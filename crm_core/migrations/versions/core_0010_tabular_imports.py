"""imports of any plugin's tables: runs, their rows' outcomes and saved mappings

Revision ID: 902ff4a9d0f4
Revises: d5fb4ec0d9e0
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '902ff4a9d0f4'
down_revision = 'd5fb4ec0d9e0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    now = sa.text('(CURRENT_TIMESTAMP)')
    op.create_table('core_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=50), nullable=True),
    sa.Column('all_or_nothing', sa.Boolean(), nullable=False),
    sa.Column('create_missing', sa.Boolean(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('new_values', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_import_user_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_import'))
    )
    with op.batch_alter_table('core_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_import_spec'), ['spec'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_import_user_id'), ['user_id'], unique=False)

    op.create_table('core_import_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('created', sa.Boolean(), nullable=False),
    sa.Column('old', sa.JSON(), nullable=True),
    sa.Column('new', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['core_import.id'], name=op.f('fk_core_import_record_import_id_core_import'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_import_record'))
    )
    with op.batch_alter_table('core_import_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_import_record_import_id'), ['import_id'], unique=False)

    op.create_table('core_import_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_core_import_template_owner_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_import_template')),
    sa.UniqueConstraint('owner_id', 'spec', 'name', name=op.f('uq_core_import_template_owner_id_spec_name'))
    )
    with op.batch_alter_table('core_import_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_import_template_owner_id'), ['owner_id'], unique=False)


def downgrade() -> None:
    op.drop_table('core_import_template')
    op.drop_table('core_import_record')
    op.drop_table('core_import')
