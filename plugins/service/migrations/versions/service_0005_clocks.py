"""SLA clocks: pauses while waiting on the customer, company days off

Revision ID: b98deaaa4e16
Revises: 77776c86c414 (service_0004_assignment)
Create Date: 2026-12-06 11:00:00

A ticket's clocks stand still while it waits on the customer (``paused_at``; the working
minutes of the pauses that ended in ``paused_minutes``, its due times moved by them), and
administrators keep the company's own days off and extra working days
(``service_day_off``). Tickets waiting on the customer at the upgrade are paused from then.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = 'b98deaaa4e16'
down_revision = '77776c86c414'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_minutes', sa.Integer(), server_default='0',
                                      nullable=False))
    # tickets waiting on the customer now: their clocks stop from this upgrade on
    op.get_bind().execute(
        sa.text("UPDATE service_ticket SET paused_at = :now "
                "WHERE state = 'waiting_on_customer'")
        .bindparams(sa.bindparam('now', type_=sa.DateTime(timezone=True))),
        {"now": dt.datetime.now(dt.UTC)})
    op.create_table(
        'service_day_off',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=10), server_default='off', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_day_off')),
        sa.UniqueConstraint('day', name=op.f('uq_service_day_off_day')),
    )


def downgrade() -> None:
    op.drop_table('service_day_off')
    with op.batch_alter_table('service_ticket', schema=None) as batch_op:
        batch_op.drop_column('paused_minutes')
        batch_op.drop_column('paused_at')
