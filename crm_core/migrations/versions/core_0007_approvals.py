"""approval definitions, approvals and their steps

Revision ID: b56e616fcc9b
Revises: a09539121538
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b56e616fcc9b'
down_revision = 'a09539121538'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_core_department_head_id'), ['head_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_core_department_head_id_core_user'),
                                    'core_user', ['head_id'], ['id'], ondelete='SET NULL')

    op.create_table('core_approval_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('subject_kind', sa.String(length=120), nullable=False),
    sa.Column('min_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('condition', sa.String(length=120), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_approval_definition'))
    )
    with op.batch_alter_table('core_approval_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_approval_definition_subject_kind'), ['subject_kind'], unique=False)

    op.create_table('core_approval_definition_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('approver_kind', sa.String(length=12), nullable=False),
    sa.Column('role_name', sa.String(length=80), nullable=True),
    sa.Column('user_ids', sa.JSON(), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['core_approval_definition.id'], name=op.f('fk_core_approval_definition_step_definition_id_core_approval_definition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_approval_definition_step')),
    sa.UniqueConstraint('definition_id', 'position', name=op.f('uq_core_approval_definition_step_definition_id_position'))
    )
    with op.batch_alter_table('core_approval_definition_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_approval_definition_step_definition_id'), ['definition_id'], unique=False)

    op.create_table('core_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=True),
    sa.Column('subject_kind', sa.String(length=120), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('provider', sa.String(length=80), nullable=True),
    sa.Column('provider_handle', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['core_approval_definition.id'], name=op.f('fk_core_approval_definition_id_core_approval_definition'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['department_id'], ['core_department.id'], name=op.f('fk_core_approval_department_id_core_department'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_id'], ['core_user.id'], name=op.f('fk_core_approval_requester_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_approval'))
    )
    with op.batch_alter_table('core_approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_approval_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_approval_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_approval_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_approval_status'), ['status'], unique=False)
        batch_op.create_index('ix_core_approval_subject', ['subject_kind', 'subject_id'], unique=False)

    op.create_table('core_approval_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('approval_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('approver_kind', sa.String(length=12), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approval_id'], ['core_approval.id'], name=op.f('fk_core_approval_step_approval_id_core_approval'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_approval_step')),
    sa.UniqueConstraint('approval_id', 'position', name=op.f('uq_core_approval_step_approval_id_position'))
    )
    with op.batch_alter_table('core_approval_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_approval_step_approval_id'), ['approval_id'], unique=False)

    op.create_table('core_approval_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('approval_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=12), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approval_id'], ['core_approval.id'], name=op.f('fk_core_approval_vote_approval_id_core_approval'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['core_approval_step.id'], name=op.f('fk_core_approval_vote_step_id_core_approval_step'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_approval_vote_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_approval_vote')),
    sa.UniqueConstraint('step_id', 'user_id', name=op.f('uq_core_approval_vote_step_id_user_id'))
    )
    with op.batch_alter_table('core_approval_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_approval_vote_approval_id'), ['approval_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_approval_vote_step_id'), ['step_id'], unique=False)
        batch_op.create_index('ix_core_approval_vote_user_open', ['user_id', 'decision'], unique=False)


def downgrade() -> None:
    op.drop_table('core_approval_vote')
    op.drop_table('core_approval_step')
    op.drop_table('core_approval')
    op.drop_table('core_approval_definition_step')
    op.drop_table('core_approval_definition')
    with op.batch_alter_table('core_department', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_core_department_head_id_core_user'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_core_department_head_id'))
        batch_op.drop_column('head_id')
