"""oa_bridge records: connections (encrypted credentials), the access-token cache, seen
callback events, approval process mappings, user links and OA instances

Revision ID: 0a17c0e5b001
Revises:
Create Date: 2026-12-06 11:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0a17c0e5b001'
down_revision = None
branch_labels = ('oa_bridge',)
# the kernel's users (core_0002) and approvals (core_0007): not its head, as service does
depends_on = ('c6220341862f', 'b56e616fcc9b')

NOW = sa.text('(CURRENT_TIMESTAMP)')


def _stamps() -> list[sa.Column]:
    return [sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW,
                      nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), server_default=NOW,
                      nullable=False)]


def _connection_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['connection_id'], ['oa_bridge_connection.id'],
                                   name=op.f(f'fk_{table}_connection_id_oa_bridge_connection'),
                                   ondelete='CASCADE')


def upgrade() -> None:
    op.create_table('oa_bridge_connection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('app_key', sa.String(length=100), nullable=False),
    sa.Column('corp_id', sa.String(length=100), nullable=False),
    sa.Column('agent_id', sa.String(length=40), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('secrets', sa.Text(), nullable=False),
    *_stamps(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oa_bridge_connection')),
    sa.UniqueConstraint('name', name=op.f('uq_oa_bridge_connection_name'))
    )
    op.create_table('oa_bridge_token',
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    _connection_fk('oa_bridge_token'),
    sa.PrimaryKeyConstraint('connection_id', name=op.f('pk_oa_bridge_token'))
    )
    op.create_table('oa_bridge_seen_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    _connection_fk('oa_bridge_seen_event'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oa_bridge_seen_event')),
    sa.UniqueConstraint('connection_id', 'event_id',
                        name=op.f('uq_oa_bridge_seen_event_connection_id_event_id'))
    )
    op.create_index(op.f('ix_oa_bridge_seen_event_seen_at'), 'oa_bridge_seen_event',
                    ['seen_at'], unique=False)
    op.create_table('oa_bridge_process',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('process_code', sa.String(length=200), nullable=False),
    sa.Column('field_map', sa.Text(), nullable=False),
    *_stamps(),
    _connection_fk('oa_bridge_process'),
    sa.ForeignKeyConstraint(['definition_id'], ['core_approval_definition.id'],
                            name=op.f('fk_oa_bridge_process_definition_id_core_approval_definition'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oa_bridge_process')),
    sa.UniqueConstraint('definition_id', name=op.f('uq_oa_bridge_process_definition_id'))
    )
    op.create_index(op.f('ix_oa_bridge_process_connection_id'), 'oa_bridge_process',
                    ['connection_id'], unique=False)
    op.create_table('oa_bridge_user_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('oa_user_id', sa.String(length=100), nullable=False),
    sa.Column('oa_dept_id', sa.String(length=100), nullable=False),
    _connection_fk('oa_bridge_user_link'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'],
                            name=op.f('fk_oa_bridge_user_link_user_id_core_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oa_bridge_user_link')),
    sa.UniqueConstraint('connection_id', 'oa_user_id',
                        name=op.f('uq_oa_bridge_user_link_connection_id_oa_user_id')),
    sa.UniqueConstraint('connection_id', 'user_id',
                        name=op.f('uq_oa_bridge_user_link_connection_id_user_id'))
    )
    op.create_index(op.f('ix_oa_bridge_user_link_user_id'), 'oa_bridge_user_link',
                    ['user_id'], unique=False)
    op.create_table('oa_bridge_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('approval_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    *_stamps(),
    _connection_fk('oa_bridge_instance'),
    sa.ForeignKeyConstraint(['approval_id'], ['core_approval.id'],
                            name=op.f('fk_oa_bridge_instance_approval_id_core_approval'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oa_bridge_instance')),
    sa.UniqueConstraint('approval_id', name=op.f('uq_oa_bridge_instance_approval_id'))
    )
    op.create_index('ix_oa_bridge_instance_oa', 'oa_bridge_instance',
                    ['connection_id', 'instance_id'], unique=True)


def downgrade() -> None:
    for table in ('oa_bridge_instance', 'oa_bridge_user_link', 'oa_bridge_process',
                  'oa_bridge_seen_event', 'oa_bridge_token', 'oa_bridge_connection'):
        op.drop_table(table)
