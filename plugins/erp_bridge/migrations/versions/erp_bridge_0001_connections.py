"""erp_bridge records: connections (sealed credentials), seen inbound webhook ids, the
external id mapping and the pull cursors

Revision ID: 3ff53213ddd9
Revises:
Create Date: 2026-12-06 11:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '3ff53213ddd9'
down_revision = None
branch_labels = ('erp_bridge',)
# the kernel's users (core_0002): not its head, as service does
depends_on = ('c6220341862f',)

NOW = sa.text('(CURRENT_TIMESTAMP)')


def _connection_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['connection_id'], ['erp_bridge_connection.id'],
                                   name=op.f(f'fk_{table}_connection_id_erp_bridge_connection'),
                                   ondelete='CASCADE')


def upgrade() -> None:
    op.create_table('erp_bridge_connection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('database', sa.String(length=100), nullable=False),
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('credentials', sa.Text(), nullable=False),
    sa.Column('key_expires_on', sa.Date(), nullable=True),
    sa.Column('transport', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('stopped_reason', sa.String(length=500), nullable=False),
    sa.Column('erp_version', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erp_bridge_connection')),
    sa.UniqueConstraint('name', name=op.f('uq_erp_bridge_connection_name'))
    )
    op.create_table('erp_bridge_seen_webhook',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.String(length=200), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    _connection_fk('erp_bridge_seen_webhook'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erp_bridge_seen_webhook')),
    sa.UniqueConstraint('connection_id', 'webhook_id',
                        name=op.f('uq_erp_bridge_seen_webhook_connection_id_webhook_id'))
    )
    op.create_index(op.f('ix_erp_bridge_seen_webhook_seen_at'), 'erp_bridge_seen_webhook',
                    ['seen_at'], unique=False)
    op.create_table('erp_bridge_external_id',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('object', sa.String(length=20), nullable=False),
    sa.Column('crm_id', sa.Integer(), nullable=False),
    sa.Column('erp_id', sa.Integer(), nullable=True),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    _connection_fk('erp_bridge_external_id'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erp_bridge_external_id')),
    sa.UniqueConstraint('connection_id', 'object', 'crm_id',
                        name=op.f('uq_erp_bridge_external_id_connection_id_object_crm_id'))
    )
    op.create_table('erp_bridge_sync_cursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('object', sa.String(length=20), nullable=False),
    sa.Column('cursor', sa.String(length=100), nullable=False),
    sa.Column('pulled', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('pulled_at', sa.DateTime(timezone=True), nullable=True),
    _connection_fk('erp_bridge_sync_cursor'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erp_bridge_sync_cursor')),
    sa.UniqueConstraint('connection_id', 'object',
                        name=op.f('uq_erp_bridge_sync_cursor_connection_id_object'))
    )


def downgrade() -> None:
    for table in ('erp_bridge_sync_cursor', 'erp_bridge_external_id',
                  'erp_bridge_seen_webhook', 'erp_bridge_connection'):
        op.drop_table(table)
