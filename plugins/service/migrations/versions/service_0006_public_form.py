"""the public request form: forms per company and requesters

Revision ID: 89a9f5b0b959
Revises: b98deaaa4e16 (service_0005_clocks)
Create Date: 2026-12-06 11:00:00

``service_public_form`` holds the public forms (address key, team, defaults, the sites that
may frame it); a request entered through one keeps its requester's name, e-mail and phone as
typed (``service_request.requester_*``, empty for requests entered by staff).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '89a9f5b0b959'
down_revision = 'b98deaaa4e16'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_public_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('default_type', sa.String(length=20), server_default='inquiry', nullable=False),
    sa.Column('default_priority', sa.String(length=10), server_default='normal',
              nullable=False),
    sa.Column('frame_origins', sa.Text(), server_default='', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('intro', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True),
              server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True),
              server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['service_team.id'],
                            name=op.f('fk_service_public_form_team_id_service_team'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_public_form')),
    sa.UniqueConstraint('key', name=op.f('uq_service_public_form_key')),
    sa.UniqueConstraint('name', name=op.f('uq_service_public_form_name'))
    )
    with op.batch_alter_table('service_public_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_public_form_team_id'), ['team_id'],
                              unique=False)
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requester_name', sa.String(length=100),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('requester_email', sa.String(length=254),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('requester_phone', sa.String(length=40),
                                      server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_column('requester_phone')
        batch_op.drop_column('requester_email')
        batch_op.drop_column('requester_name')
    with op.batch_alter_table('service_public_form', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_public_form_team_id'))
    op.drop_table('service_public_form')
