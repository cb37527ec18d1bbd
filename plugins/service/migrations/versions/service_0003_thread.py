"""the conversation: replies, notes and canned replies

Revision ID: 6708e55c4a00
Revises: 7a5c2e9d4b61 (service_0002_sla_warnings)
Create Date: 2026-12-06 11:00:00

A ticket message keeps its mail subject and its outbox row (the delivery state is read from
it); canned replies are a table of their own, with two to start from.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '6708e55c4a00'
down_revision = '7a5c2e9d4b61'
branch_labels = None
depends_on = None

CANNED = (
    ("已收到您的问题",
     "{{ contact.name }}您好：\n\n我们已收到您关于“{{ ticket.subject }}”的反馈，工单号 "
     "{{ ticket.number }}。我们正在处理，会尽快给您答复。\n\n客服 {{ agent.name }}"),
    ("问题已处理完毕",
     "{{ contact.name }}您好：\n\n您的工单 {{ ticket.number }}（{{ ticket.subject }}）已处理"
     "完毕。如仍有问题，请直接回复本邮件，我们会继续跟进。\n\n感谢{{ customer.name }}的支持！\n"
     "客服 {{ agent.name }}"),
)


def upgrade() -> None:
    with op.batch_alter_table('service_ticket_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=300), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('outbox_message_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_service_ticket_message_delivery', ['delivery_state', 'id'],
                              unique=False)
    op.create_table('service_canned_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_canned_reply'))
    )
    canned = sa.table("service_canned_reply", sa.column("title", sa.String),
                      sa.column("body", sa.Text), sa.column("is_active", sa.Boolean))
    op.bulk_insert(canned, [{"title": title, "body": body, "is_active": True}
                            for title, body in CANNED])


def downgrade() -> None:
    op.drop_table('service_canned_reply')
    with op.batch_alter_table('service_ticket_message', schema=None) as batch_op:
        batch_op.drop_index('ix_service_ticket_message_delivery')
        batch_op.drop_column('outbox_message_id')
        batch_op.drop_column('subject')
