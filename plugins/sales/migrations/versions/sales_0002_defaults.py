"""default pipeline and contract approval

Revision ID: 5a2c8e1f7d30
Revises: 2f108af96720 (sales_0001_records)
Create Date: 2026-12-06 01:40:00

A new install gets one pipeline, "销售流程", whose stages carry default probabilities, a won
and a lost stage, and "商务谈判" requires an amount and an expected close date; and the
approval definition the sales issue asks for: contracts of ¥100,000 or more need a holder
of the manager role. Administrators edit both. Only an install without pipelines, and
without a definition for contracts, gets them; downgrade removes them while they are as
seeded.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5a2c8e1f7d30'
down_revision = '2f108af96720'
branch_labels = None
depends_on = None

_pipeline = sa.table("sales_pipeline", sa.column("id", sa.Integer),
                     sa.column("name", sa.String), sa.column("description", sa.String),
                     sa.column("is_default", sa.Boolean), sa.column("active", sa.Boolean),
                     sa.column("position", sa.Integer))
_stage = sa.table("sales_stage", sa.column("pipeline_id", sa.Integer),
                  sa.column("name", sa.String), sa.column("position", sa.Integer),
                  sa.column("probability", sa.Integer), sa.column("kind", sa.String),
                  sa.column("required_fields", sa.JSON), sa.column("rot_days", sa.Integer))
_definition = sa.table("core_approval_definition", sa.column("id", sa.Integer),
                       sa.column("name", sa.String), sa.column("subject_kind", sa.String),
                       sa.column("min_amount", sa.Numeric(18, 2)),
                       sa.column("priority", sa.Integer), sa.column("active", sa.Boolean),
                       sa.column("description", sa.String))
_step = sa.table("core_approval_definition_step", sa.column("definition_id", sa.Integer),
                 sa.column("position", sa.Integer), sa.column("label", sa.String),
                 sa.column("approver_kind", sa.String), sa.column("role_name", sa.String),
                 sa.column("user_ids", sa.JSON), sa.column("mode", sa.String))

PIPELINE = "销售流程"
STAGES = (  # name, probability, kind, required fields, stale after (days)
    ("初步接洽", 10, "open", [], 14),
    ("需求确认", 25, "open", [], 21),
    ("方案报价", 50, "open", ["amount"], 21),
    ("商务谈判", 75, "open", ["amount", "expected_close_date"], 30),
    ("赢单", 100, "won", [], None),
    ("输单", 0, "lost", ["lost_reason"], None),
)
DEFINITION = "大额合同审批"
SUBJECT = "sales.contract"


def upgrade() -> None:
    connection = op.get_bind()
    if not connection.execute(sa.select(sa.func.count()).select_from(_pipeline)).scalar():
        pipeline_id = connection.execute(
            _pipeline.insert().values(name=PIPELINE, description="", is_default=True,
                                      active=True, position=0)
            .returning(_pipeline.c.id)).scalar_one()
        op.bulk_insert(_stage, [
            {"pipeline_id": pipeline_id, "name": name, "position": position,
             "probability": probability, "kind": kind, "required_fields": required,
             "rot_days": rot_days}
            for position, (name, probability, kind, required, rot_days) in enumerate(STAGES)])
    if not connection.execute(sa.select(sa.func.count()).select_from(_definition)
                              .where(_definition.c.subject_kind == SUBJECT)).scalar():
        definition_id = connection.execute(
            _definition.insert().values(
                name=DEFINITION, subject_kind=SUBJECT, min_amount=100000, priority=100,
                active=True, description="合同金额 ¥100,000 及以上需经理审批")
            .returning(_definition.c.id)).scalar_one()
        op.bulk_insert(_step, [{"definition_id": definition_id, "position": 1,
                                "label": "经理审批", "approver_kind": "role",
                                "role_name": "manager", "user_ids": [], "mode": "any"}])


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(_definition.delete().where(_definition.c.name == DEFINITION,
                                                  _definition.c.subject_kind == SUBJECT))
    connection.execute(_pipeline.delete().where(_pipeline.c.name == PIPELINE))
