"""marketing: e-mail templates, sends and their messages

Revision ID: 4a1e0c2b7d01
Revises: 9901995f7d7e
Create Date: 2026-12-06 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4a1e0c2b7d01'
down_revision = '9901995f7d7e'
branch_labels = None
depends_on = None


_STAGES = ("sent_at", "delivered_at", "opened_at", "clicked_at", "unsubscribed_at",
           "registered_at", "responded_at")


def upgrade() -> None:
    with op.batch_alter_table('marketing_campaign_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant', sa.String(length=8), server_default='',
                                      nullable=False))
        for name in _STAGES:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('marketing_campaign_member', schema=None) as batch_op:
        for name in reversed(_STAGES):
            batch_op.drop_column(name)
        batch_op.drop_column('variant')
