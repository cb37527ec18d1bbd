"""automatic assignment: rules and the round robin

Revision ID: 77776c86c414
Revises: 6708e55c4a00 (service_0003_thread)
Create Date: 2026-12-06 11:00:00

Assignment rules route new tickets by request type, priority and customer level to a team
(optionally one of its members). A new team is assigned by hand until its administrator
chooses round robin or fewest open tickets; teams already stored keep the mode they show.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '77776c86c414'
down_revision = '6708e55c4a00'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'service_assignment_rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), server_default='100', nullable=False),
        sa.Column('request_type', sa.String(length=20), server_default='', nullable=False),
        sa.Column('priority', sa.String(length=10), server_default='', nullable=False),
        sa.Column('customer_level', sa.String(length=20), server_default='', nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(['assignee_id'], ['core_user.id'],
                                name=op.f('fk_service_assignment_rule_assignee_id_core_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['team_id'], ['service_team.id'],
                                name=op.f('fk_service_assignment_rule_team_id_service_team'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_assignment_rule')))
    with op.batch_alter_table('service_assignment_rule', schema=None) as batch_op:
        batch_op.create_index('ix_service_assignment_rule_order',
                              ['is_active', 'position', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_assignment_rule_team_id'), ['team_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_service_assignment_rule_assignee_id'),
                              ['assignee_id'], unique=False)
    with op.batch_alter_table('service_team', schema=None) as batch_op:
        batch_op.alter_column('assignment_mode', existing_type=sa.String(length=20),
                              server_default='manual', existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('service_team', schema=None) as batch_op:
        batch_op.alter_column('assignment_mode', existing_type=sa.String(length=20),
                              server_default='round_robin', existing_nullable=False)
    op.execute("UPDATE service_team SET assignment_mode = 'round_robin' "
               "WHERE assignment_mode = 'manual'")
    with op.batch_alter_table('service_assignment_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_assignment_rule_assignee_id'))
        batch_op.drop_index(batch_op.f('ix_service_assignment_rule_team_id'))
        batch_op.drop_index('ix_service_assignment_rule_order')
    op.drop_table('service_assignment_rule')
