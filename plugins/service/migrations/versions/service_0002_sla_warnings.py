"""the SLA sweep: when to warn, and an index to find what needs a look

Revision ID: 7a5c2e9d4b61
Revises: dbbc09a93b3e (service_0001_records)
Create Date: 2026-12-06 09:30:00

Each ticket keeps the moments 80 % of its first-response and resolution targets' working
time has passed (set with its due times); the beat task warns then and escalates on a
breach. Tickets made before this revision have none: they are escalated on a breach but
not warned.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7a5c2e9d4b61'
down_revision = 'dbbc09a93b3e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_response_warn_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('resolution_warn_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index('ix_service_ticket_sla_sweep',
                              ['sla_state', 'resolution_warn_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_service_ticket_sla_sweep')
        batch_op.drop_column('resolution_warn_at')
        batch_op.drop_column('first_response_warn_at')
