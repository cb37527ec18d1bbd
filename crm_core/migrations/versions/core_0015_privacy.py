"""privacy: the erasure register, the suppression list and the key of their hashes

Revision ID: 3394d8a63c16
Revises: 6e2b3abe5d58 (core_0014_custom_fields)
Create Date: 2026-12-06 16:45:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = '3394d8a63c16'
down_revision = '6e2b3abe5d58'
branch_labels = None
depends_on = None

SALT_KEY = "core.privacy_salt"


def upgrade() -> None:
    op.create_table('core_privacy_erasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_privacy_erasure'))
    )
    op.create_table('core_privacy_suppression',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('erasure_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['erasure_id'], ['core_privacy_erasure.id'], name=op.f('fk_core_privacy_suppression_erasure_id_core_privacy_erasure'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_core_privacy_suppression'))
    )
    # The key of the hashes: random per instance, kept in the database so the suppression
    # list survives a change of CRM_SECRET_KEY and travels with a backup.
    setting = sa.table('core_setting', sa.column('key', sa.String), sa.column('value', sa.JSON),
                       sa.column('updated_at', sa.DateTime(timezone=True)))
    op.execute(setting.insert().values(key=SALT_KEY, value=secrets.token_hex(32),
                                       updated_at=sa.func.now()))


def downgrade() -> None:
    setting = sa.table('core_setting', sa.column('key', sa.String))
    op.execute(setting.delete().where(setting.c.key == SALT_KEY))
    op.drop_table('core_privacy_suppression')
    op.drop_table('core_privacy_erasure')
