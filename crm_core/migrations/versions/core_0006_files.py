"""attachments: files stored on any record

Revision ID: a09539121538
Revises: 20ddf519e137
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a09539121538'
down_revision = '20ddf519e137'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=120), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['core_user.id'], name=op.f('fk_core_attachment_uploaded_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_attachment'))
    )
    with op.batch_alter_table('core_attachment', schema=None) as batch_op:
        batch_op.create_index('ix_core_attachment_record', ['kind', 'record_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_attachment_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_attachment_uploaded_by_id'), ['uploaded_by_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_attachment_uploaded_by_id'))
        batch_op.drop_index(batch_op.f('ix_core_attachment_sha256'))
        batch_op.drop_index('ix_core_attachment_record')
    op.drop_table('core_attachment')
