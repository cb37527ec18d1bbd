"""Pipelines and stages as kernel Resources (``/sales/pipelines``, ``/sales/stages`` and
``/api/v1/sales/<name>``), for holders of ``sales.pipeline.manage``.

Writes go through ``pipelines.services``: one default pipeline, stages ordered within their
pipeline (moved up and down from the stage list sorted by order), required fields chosen from
the opportunity's fields, and no deletion of a stage or pipeline that holds opportunities
(the message says how many). A pipeline's page lists its stages with a link to add one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import Computed, Field, Filter, Panel, Resource

from ..models import Opportunity, Pipeline, Stage
from ..models.pipeline import STAGE_KIND_LABELS
from ..permissions import PIPELINE_MANAGE
from . import services

ACTIONS = ("view", "create", "edit", "delete")
MANAGED = {action: PIPELINE_MANAGE for action in ACTIONS}


def _opportunities(count: int) -> str:
    return ngettext("%(num)d opportunity", "%(num)d opportunities", count)


def _pipeline_usage(session: Session, records: list[Pipeline]) -> Mapping[int, int]:
    ids = [record.id for record in records]
    rows = session.execute(select(Opportunity.pipeline_id, func.count(Opportunity.id))
                           .where(Opportunity.pipeline_id.in_(ids),
                                  Opportunity.deleted_at.is_(None))
                           .group_by(Opportunity.pipeline_id))
    counts = dict(rows.all())
    return {record_id: counts.get(record_id, 0) for record_id in ids}


def _stage_usage(session: Session, records: list[Stage]) -> Mapping[int, int]:
    ids = [record.id for record in records]
    rows = session.execute(select(Opportunity.stage_id, func.count(Opportunity.id))
                           .where(Opportunity.stage_id.in_(ids),
                                  Opportunity.deleted_at.is_(None))
                           .group_by(Opportunity.stage_id))
    counts = dict(rows.all())
    return {record_id: counts.get(record_id, 0) for record_id in ids}


def _stages_panel(pipeline: Pipeline) -> dict[str, Any]:
    from crm_core.toolkit import get_session

    return {"stages": services.stages_of(get_session(), pipeline.id),
            "field_label": services.field_label, "kinds": STAGE_KIND_LABELS,
            "new_url": url_for("sales_stages.new", pipeline_id=pipeline.id,
                               next=url_for("sales_pipelines.detail",
                                            pipeline_id=pipeline.id)),
            "list_url": url_for("sales_stages.list", pipeline_id=pipeline.id,
                                sort="position")}


PIPELINES = Resource(
    model=Pipeline, name="pipelines", label=_l("Pipelines"), label_one=_l("Pipeline"),
    fields=[Field("name", _l("Name")),
            Field("description", _l("Description"), textarea=True),
            Field("is_default", _l("Default pipeline"),
                  description=_l("The kanban opens on it; new opportunities go to it.")),
            Field("active", _l("Active")),
            Field("position", _l("Order"), form=False)],
    columns=["name", "is_default", "active", "usage"], search=["name"],
    sorts=["position", "name"], default_sort="position", order_field="position",
    computed=[Computed("usage", _l("Opportunities"), _pipeline_usage, format=_opportunities)],
    create=lambda session, values, user: services.create_pipeline(session, values),
    update=lambda session, record, values, user: services.update_pipeline(session, record,
                                                                          values),
    delete=lambda session, record, user: services.delete_pipeline(session, record),
    panels=[Panel(_l("Stages"), "sales/pipelines/_stages_panel.html", _stages_panel)],
    permissions=MANAGED, actions=ACTIONS, icon="kanban", order=220, parent="sales.settings",
)


def _move_stage(session: Session, stage: Stage, step: int, user: Any) -> None:
    services.move_stage(session, stage, step)


STAGES = Resource(
    model=Stage, name="stages", label=_l("Stages"), label_one=_l("Stage"),
    fields=[Field("pipeline_id", _l("Pipeline"), relation=Pipeline),
            Field("name", _l("Name")),
            Field("kind", _l("Kind"), choices=list(STAGE_KIND_LABELS.items()),
                  description=_l("Open stages are worked on; an opportunity entering a won "
                                 "or lost stage is closed.")),
            Field("probability", _l("Probability (%)"),
                  description=_l("An opportunity entering the stage takes this "
                                 "probability.")),
            Field("required_fields", _l("Required fields"),
                  description=_l("Fields an opportunity must have before it enters the "
                                 "stage, separated by commas: amount, expected_close_date, "
                                 "next_step, competitors, source, lost_reason."),
                  format=lambda names: "、".join(services.field_label(name)
                                                for name in names or ())),
            Field("rot_days", _l("Stale after (days)"),
                  description=_l("An open opportunity idle in the stage longer than this is "
                                 "marked stale; empty: never.")),
            Field("position", _l("Order"), form=False)],
    columns=["name", "pipeline_id", "kind", "probability", "required_fields", "rot_days",
             "usage"],
    filters=[Filter("pipeline_id", "relation"), Filter("kind", "choice")],
    search=["name"], sorts=["position", "name"], default_sort="position",
    order_field="position", move=_move_stage,
    computed=[Computed("usage", _l("Opportunities"), _stage_usage, format=_opportunities)],
    create=lambda session, values, user: services.create_stage(session, values),
    update=lambda session, record, values, user: services.update_stage(session, record,
                                                                       values),
    delete=lambda session, record, user: services.delete_stage(session, record),
    delete_notice=lambda session, stage: ngettext(
        "Delete the stage %(name)s? It holds %(num)d opportunity: it cannot be deleted "
        "until that one is moved.",
        "Delete the stage %(name)s? It holds %(num)d opportunities: it cannot be deleted "
        "until they are moved.",
        services.opportunities_in(session, stage_id=stage.id), name=stage.name),
    permissions=MANAGED, actions=ACTIONS, icon="list-ol", order=221,
    parent="sales.pipelines",
)


def resources() -> list[Resource]:
    """The pipelines and stages resources (for ``crm_resources``)."""
    return [PIPELINES, STAGES]
