"""kept aggregates for the service widgets

Revision ID: b8a5e64adbdd
Revises: 93d8583b36db (service_0007_surveys)
Create Date: 2026-12-06 11:00:00

``service_ticket_monthly_total``: per month, team, department, assignee and priority, the
tickets resolved, met and missed and the working minutes of first responses and resolutions
(the SLA attainment and response-time widgets read it);
``service_open_ticket_total``: the open tickets per day they came in, team, department,
assignee, priority and state (the open-tickets, workload and backlog-age widgets); and
``service_survey_monthly_total``: per month, team, department and agent, the answered
satisfaction surveys, their stars and the 4–5 star answers (the CSAT widget). Filled here from the tickets, as
``crm service rebuild-aggregates`` does (the working minutes need the working calendar, so
through the same Python as the command, the tickets read with plain SQL); kept by
``service.aggregates.tickets``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b8a5e64adbdd'
down_revision = '93d8583b36db'
branch_labels = None
depends_on = None

COUNTERS = ("resolved_count", "met_count", "missed_count", "response_count",
            "response_minutes", "resolution_count", "resolution_minutes")
SURVEY_COUNTERS = ("answered_count", "stars_sum", "satisfied_count")
TIME = sa.DateTime(timezone=True)


def _fill() -> None:
    from plugins.service.aggregates.tickets import TABLES, business_zone, contribute, new_totals
    from plugins.service.sla.calendar import WorkingCalendar

    bind = op.get_bind()
    columns = {column["name"] for column in sa.inspect(bind).get_columns("service_ticket")}
    paused = "t.paused_minutes" if "paused_minutes" in columns else "0"
    rows = bind.execute(sa.text(
        "SELECT t.team_id, t.department_id, t.assignee_id, t.priority, t.sla_state, "
        "t.created_at, t.first_responded_at, t.resolved_at, t.number, r.number, "
        f"r.received_at, {paused}, t.state FROM service_ticket t "
        "JOIN service_request r ON r.id = t.request_id WHERE t.deleted_at IS NULL AND "
        "(t.state IN ('new', 'assigned', 'in_progress', 'waiting_on_customer') OR "
        "t.first_responded_at IS NOT NULL OR t.resolved_at IS NOT NULL)")
        .columns(sa.column("team_id"), sa.column("department_id"), sa.column("assignee_id"),
                 sa.column("priority"), sa.column("sla_state"), sa.column("created_at", TIME),
                 sa.column("first_responded_at", TIME), sa.column("resolved_at", TIME),
                 sa.column("number"), sa.column("request_number"),
                 sa.column("received_at", TIME), sa.column("paused"), sa.column("state")))
    totals, zone, calendar = new_totals(), business_zone(), WorkingCalendar()
    for row in rows:
        contribute(totals, tuple(row), zone, calendar)
    for kind, (model, keys, counters) in TABLES.items():
        table = sa.table(model.__tablename__, sa.column(keys[0], sa.Date()),
                         *(sa.column(name) for name in (*keys[1:], *counters)))
        values = [{**dict(zip(keys, key[1:], strict=True)),
                   **dict(zip(counters, sums, strict=False))}
                  for key, sums in totals.items() if key[0] == kind]
        for start in range(0, len(values), 1000):
            bind.execute(sa.insert(table), values[start:start + 1000])
    _fill_surveys(bind, zone)


def _fill_surveys(bind: sa.Connection, zone: object) -> None:
    from plugins.service.aggregates.surveys import contribute, new_totals

    rows = bind.execute(sa.text(
        "SELECT team_id, department_id, agent_id, answered_at, stars FROM service_survey "
        "WHERE answered_at IS NOT NULL AND stars IS NOT NULL")
        .columns(sa.column("team_id"), sa.column("department_id"), sa.column("agent_id"),
                 sa.column("answered_at", TIME), sa.column("stars")))
    totals = new_totals()
    for row in rows:
        contribute(totals, tuple(row), zone)
    table = sa.table("service_survey_monthly_total", sa.column("month", sa.Date()),
                     *(sa.column(name) for name in ("team_id", "department_id", "agent_id",
                                                    *SURVEY_COUNTERS)))
    values = [{"month": month, "team_id": team, "department_id": department,
               "agent_id": agent, **dict(zip(SURVEY_COUNTERS, counters, strict=True))}
              for (month, team, department, agent), counters in totals.items()]
    for start in range(0, len(values), 1000):
        bind.execute(sa.insert(table), values[start:start + 1000])


def upgrade() -> None:
    op.create_table('service_ticket_monthly_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=False),
    *(sa.Column(name, sa.BigInteger(), server_default='0', nullable=False)
      for name in COUNTERS),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_ticket_monthly_total')),
    sa.UniqueConstraint('month', 'team_id', 'department_id', 'assignee_id', 'priority',
                        name='uq_service_ticket_monthly_total')
    )
    with op.batch_alter_table('service_ticket_monthly_total', schema=None) as batch_op:
        batch_op.create_index('ix_service_ticket_monthly_total_assignee',
                              ['assignee_id', 'month'], unique=False)
        batch_op.create_index('ix_service_ticket_monthly_total_department',
                              ['department_id', 'month'], unique=False)
    op.create_table('service_open_ticket_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('count', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_open_ticket_total')),
    sa.UniqueConstraint('created_on', 'team_id', 'department_id', 'assignee_id', 'priority',
                        'state', name='uq_service_open_ticket_total')
    )
    with op.batch_alter_table('service_open_ticket_total', schema=None) as batch_op:
        batch_op.create_index('ix_service_open_ticket_total_assignee', ['assignee_id'],
                              unique=False)
        batch_op.create_index('ix_service_open_ticket_total_department', ['department_id'],
                              unique=False)
    op.create_table('service_survey_monthly_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    *(sa.Column(name, sa.BigInteger(), server_default='0', nullable=False)
      for name in SURVEY_COUNTERS),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_survey_monthly_total')),
    sa.UniqueConstraint('month', 'team_id', 'department_id', 'agent_id',
                        name='uq_service_survey_monthly_total')
    )
    with op.batch_alter_table('service_survey_monthly_total', schema=None) as batch_op:
        batch_op.create_index('ix_service_survey_monthly_total_agent', ['agent_id', 'month'],
                              unique=False)
        batch_op.create_index('ix_service_survey_monthly_total_department',
                              ['department_id', 'month'], unique=False)
    _fill()


def downgrade() -> None:
    with op.batch_alter_table('service_open_ticket_total', schema=None) as batch_op:
        batch_op.drop_index('ix_service_open_ticket_total_department')
        batch_op.drop_index('ix_service_open_ticket_total_assignee')
    op.drop_table('service_open_ticket_total')
    with op.batch_alter_table('service_survey_monthly_total', schema=None) as batch_op:
        batch_op.drop_index('ix_service_survey_monthly_total_department')
        batch_op.drop_index('ix_service_survey_monthly_total_agent')
    op.drop_table('service_survey_monthly_total')
    with op.batch_alter_table('service_ticket_monthly_total', schema=None) as batch_op:
        batch_op.drop_index('ix_service_ticket_monthly_total_department')
        batch_op.drop_index('ix_service_ticket_monthly_total_assignee')
    op.drop_table('service_ticket_monthly_total')
