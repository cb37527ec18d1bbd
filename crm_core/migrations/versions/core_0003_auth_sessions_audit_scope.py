"""server-side sign-in sessions; the data scope each operation log entry follows

Revision ID: 5d0e8a41b7c3
Revises: c6220341862f
Create Date: 2026-12-04 18:40:00.000000

Every browser signed in before this revision is signed out once: the session cookies carry
a user id, and a session key is expected now. Entries already in the operation log get their
``scope_model``/``scope_id`` from the enabled plugins' declarations (``audit.scoping``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = '5d0e8a41b7c3'
down_revision = 'c6220341862f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_auth_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_auth_session_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_auth_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_core_auth_session_key_hash'))
    )
    with op.batch_alter_table('core_auth_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_auth_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('core_audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope_model', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('scope_id', sa.BigInteger(), nullable=True))

    _backfill_scopes()


def _backfill_scopes() -> None:
    """Give existing entries the scope their model declares (plugins' tables exist already
    on a database being upgraded; on a new one there are no entries)."""
    from crm_core.audit.scoping import audited_models, backfill

    app = context.config.attributes.get("app")
    if app is None:
        return
    connection = op.get_bind()
    existing = set(sa.inspect(connection).get_table_names())
    backfill(connection, audited_models(app.extensions["crm"], existing))


def downgrade() -> None:
    with op.batch_alter_table('core_audit_log', schema=None) as batch_op:
        batch_op.drop_column('scope_id')
        batch_op.drop_column('scope_model')

    with op.batch_alter_table('core_auth_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_auth_session_user_id'))

    op.drop_table('core_auth_session')
