"""oa_bridge org sync and notices: department links, users' mobile numbers, group robots and
the notification kinds routed to them

Revision ID: 0a17c0e5b002
Revises: 0a17c0e5b001
Create Date: 2026-12-06 12:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0a17c0e5b002'
down_revision = '0a17c0e5b001'
branch_labels = None
depends_on = None

NOW = sa.text('(CURRENT_TIMESTAMP)')


def upgrade() -> None:
    with op.batch_alter_table('oa_bridge_user_link') as batch:
        batch.add_column(sa.Column('mobile', sa.String(length=30), nullable=False,
                                   server_default=''))
    op.create_table('oa_bridge_dept_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('oa_dept_id', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['oa_bridge_connection.id'],
                            name=op.f('fk_oa_bridge_dept_link_connection_id_oa_bridge_connection'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['core_department.id'],
                            name=op.f('fk_oa_bridge_dept_link_department_id_core_department'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oa_bridge_dept_link')),
    sa.UniqueConstraint('connection_id', 'department_id',
                        name=op.f('uq_oa_bridge_dept_link_connection_id_department_id')),
    sa.UniqueConstraint('connection_id', 'oa_dept_id',
                        name=op.f('uq_oa_bridge_dept_link_connection_id_oa_dept_id'))
    )
    op.create_index(op.f('ix_oa_bridge_dept_link_department_id'), 'oa_bridge_dept_link',
                    ['department_id'], unique=False)
    op.create_table('oa_bridge_robot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('secrets', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oa_bridge_robot')),
    sa.UniqueConstraint('name', name=op.f('uq_oa_bridge_robot_name'))
    )
    op.create_table('oa_bridge_robot_route',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('robot_id', sa.Integer(), nullable=False),
    sa.Column('notification_kind', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['robot_id'], ['oa_bridge_robot.id'],
                            name=op.f('fk_oa_bridge_robot_route_robot_id_oa_bridge_robot'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oa_bridge_robot_route')),
    sa.UniqueConstraint('robot_id', 'notification_kind',
                        name=op.f('uq_oa_bridge_robot_route_robot_id_notification_kind'))
    )
    op.create_index(op.f('ix_oa_bridge_robot_route_notification_kind'),
                    'oa_bridge_robot_route', ['notification_kind'], unique=False)


def downgrade() -> None:
    for table in ('oa_bridge_robot_route', 'oa_bridge_robot', 'oa_bridge_dept_link'):
        op.drop_table(table)
    with op.batch_alter_table('oa_bridge_user_link') as batch:
        batch.drop_column('mobile')
