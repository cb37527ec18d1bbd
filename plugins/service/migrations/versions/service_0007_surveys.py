"""satisfaction surveys and service evaluations

Revision ID: 93d8583b36db
Revises: 89a9f5b0b959 (service_0006_public_form)
Create Date: 2026-12-06 11:00:00

``service_survey``: one row per survey sent when a ticket is resolved (single use: the answer
sets ``answered_at``), indexed for CSAT by month and per team and agent.
``service_evaluation``: a manager's internal evaluation of a ticket, one per ticket.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '93d8583b36db'
down_revision = '89a9f5b0b959'
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [sa.Column(name, sa.DateTime(timezone=True),
                      server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False)
            for name in ('created_at', 'updated_at')]


def upgrade() -> None:
    op.create_table(
        'service_survey',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('sent_to', sa.String(length=254), nullable=False),
        sa.Column('language', sa.String(length=8), server_default='zh_CN', nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stars', sa.SmallInteger(), nullable=True),
        sa.Column('resolved', sa.Boolean(), nullable=True),
        sa.Column('comment', sa.Text(), server_default='', nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        *_timestamps(),
        sa.CheckConstraint('stars IS NULL OR (stars >= 1 AND stars <= 5)',
                           name=op.f('ck_service_survey_stars')),
        sa.ForeignKeyConstraint(['agent_id'], ['core_user.id'],
                                name=op.f('fk_service_survey_agent_id_core_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'],
                                name=op.f('fk_service_survey_customer_id_customers_customer'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['core_department.id'],
                                name=op.f('fk_service_survey_department_id_core_department'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['team_id'], ['service_team.id'],
                                name=op.f('fk_service_survey_team_id_service_team'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'],
                                name=op.f('fk_service_survey_ticket_id_service_ticket'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_survey')),
    )
    with op.batch_alter_table('service_survey', schema=None) as batch_op:
        batch_op.create_index('ix_service_survey_answered', ['answered_at', 'id'])
        batch_op.create_index('ix_service_survey_team_answered',
                              ['team_id', 'answered_at', 'id'])
        batch_op.create_index('ix_service_survey_agent_answered',
                              ['agent_id', 'answered_at', 'id'])
        batch_op.create_index('ix_service_survey_ticket', ['ticket_id', 'id'])
        batch_op.create_index('ix_service_survey_sent', ['sent_at', 'id'])
        batch_op.create_index(batch_op.f('ix_service_survey_customer_id'), ['customer_id'])
        batch_op.create_index(batch_op.f('ix_service_survey_department_id'),
                              ['department_id'])

    op.create_table(
        'service_evaluation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('evaluator_id', sa.Integer(), nullable=True),
        sa.Column('speed', sa.SmallInteger(), nullable=False),
        sa.Column('professionalism', sa.SmallInteger(), nullable=False),
        sa.Column('result', sa.SmallInteger(), nullable=False),
        sa.Column('comment', sa.Text(), server_default='', nullable=False),
        *_timestamps(),
        sa.CheckConstraint('speed BETWEEN 1 AND 5 AND professionalism BETWEEN 1 AND 5 '
                           'AND result BETWEEN 1 AND 5',
                           name=op.f('ck_service_evaluation_scores')),
        sa.ForeignKeyConstraint(['agent_id'], ['core_user.id'],
                                name=op.f('fk_service_evaluation_agent_id_core_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['evaluator_id'], ['core_user.id'],
                                name=op.f('fk_service_evaluation_evaluator_id_core_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'],
                                name=op.f('fk_service_evaluation_ticket_id_service_ticket'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_evaluation')),
        sa.UniqueConstraint('ticket_id', name='uq_service_evaluation_ticket'),
    )
    with op.batch_alter_table('service_evaluation', schema=None) as batch_op:
        batch_op.create_index('ix_service_evaluation_agent', ['agent_id', 'id'])


def downgrade() -> None:
    with op.batch_alter_table('service_evaluation', schema=None) as batch_op:
        batch_op.drop_index('ix_service_evaluation_agent')
    op.drop_table('service_evaluation')
    with op.batch_alter_table('service_survey', schema=None) as batch_op:
        for name in ('ix_service_survey_department_id', 'ix_service_survey_customer_id',
                     'ix_service_survey_sent', 'ix_service_survey_ticket',
                     'ix_service_survey_agent_answered', 'ix_service_survey_team_answered',
                     'ix_service_survey_answered'):
            batch_op.drop_index(name)
    op.drop_table('service_survey')
