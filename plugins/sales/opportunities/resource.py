"""Opportunities as a kernel Resource: ``/sales/opportunities`` (list with filters, sorts,
keyset pages, saved views, export, bulk changes; forms; detail with the stage history) and
``/api/v1/sales/opportunities``. Data scope kind ``sales.opportunity``.

Writes go through ``services`` (stage rules, history, totals, events). The customer is a
relation to the customers plugin's customers, found by its public table name
(``customers.services.CUSTOMER_TABLE``) so that sales never imports customers' models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    Computed,
    Field,
    Filter,
    Id,
    Panel,
    Resource,
    Section,
    model_for_table,
)
from plugins.customers import services as customers

from ..display import money_text
from ..filters import yuan_filter
from ..models import Opportunity, Pipeline, Stage
from ..models.opportunity import FORECAST_CATEGORY_LABELS, OPPORTUNITY_TYPE_LABELS
from ..models.pipeline import STAGE_KIND_LABELS
from ..page_panels import opportunity_panels
from . import services
from .forms import OpportunityForm, Yuan
from .history import history_context

_resource: list[Resource] = []


def customer_model() -> type:
    """The customers plugin's customer model, by its public table name."""
    return model_for_table(customers.CUSTOMER_TABLE)


def _stale(session: Session, records: list[Opportunity]) -> Mapping[int, bool]:
    stage_ids = {record.stage_id for record in records}
    rot = dict(session.execute(select(Stage.id, Stage.rot_days)
                               .where(Stage.id.in_(stage_ids))).all())
    return {record.id: services.is_stale(record, rot.get(record.stage_id))
            for record in records}


def _stale_text(value: Any) -> str:
    return _("Stale") if value else ""


def _create(session: Session, values: dict[str, Any], user: Any) -> Opportunity:
    return services.create_opportunity(session, values, user)


def _update(session: Session, record: Opportunity, values: dict[str, Any],
            user: Any) -> Opportunity:
    return services.update_opportunity(session, record, values, user)


def _delete(session: Session, record: Opportunity, user: Any) -> None:
    services.delete_opportunity(session, record, user)


def _history_and_plugin_panels(record: Opportunity) -> dict[str, Any]:
    """The stage history panel's data, plus other plugins' panels for the page to draw
    under it (``crm_sales_opportunity_panels``)."""
    return {**history_context(record),
            "plugin_panels": opportunity_panels(record.id, current_user)}


def _build() -> Resource:
    customer = customer_model()
    return Resource(
        model=Opportunity, name="opportunities", label=_l("Opportunities"),
        label_one=_l("Opportunity"),
        fields=[Field("name", _l("Name")),
                Field("customer_id", _l("Customer"), relation=customer),
                Field("type", _l("Type"), choices=list(OPPORTUNITY_TYPE_LABELS.items())),
                Field("pipeline_id", _l("Pipeline"), relation=Pipeline),
                Field("stage_id", _l("Stage"), relation=Stage),
                Field("amount", _l("Amount"), format=money_text),
                Field("probability", _l("Probability (%)")),
                Field("expected_close_date", _l("Expected close date")),
                Field("forecast_category", _l("Forecast category"),
                      choices=list(FORECAST_CATEGORY_LABELS.items())),
                Field("source", _l("Source")),
                Field("campaign_id", _l("Campaign"), form=False),
                Field("competitors", _l("Competitors")),
                Field("next_step", _l("Next step")),
                Field("lost_reason", _l("Lost reason"), textarea=True),
                Field("owner_id", _l("Owner"), relation="user"),
                Field("department_id", _l("Department"), form=False),
                Field("status", _l("Status"), choices=list(STAGE_KIND_LABELS.items()),
                      form=False),
                Field("stage_entered_at", _l("In stage since"), form=False),
                Field("closed_at", _l("Closed"), form=False)],
        columns=["name", "customer_id", "stage_id", "amount", "expected_close_date",
                 "owner_id", "stale"],
        filters=[Filter("pipeline_id", "relation"), Filter("stage_id", "relation"),
                 Filter("status", "choice"), Filter("owner_id", "relation"),
                 Filter("expected_close_date", "date_range"),
                 Filter("amount", "range", _l("Amount (yuan)"), parse=yuan_filter)],
        sorts=["updated_at", "amount"], default_sort="-updated_at", search=["name"],
        sections=[Section(_l("Opportunity"), ["name", "customer_id", "type", "amount",
                                              "expected_close_date", "owner_id"]),
                  Section(_l("Stage"), ["pipeline_id", "stage_id", "status", "probability",
                                        "forecast_category", "stage_entered_at",
                                        "closed_at"]),
                  Section(_l("Details"), ["source", "campaign_id", "competitors",
                                          "next_step", "lost_reason"])],
        computed=[Computed("stale", _l("Stale"), _stale, format=_stale_text)],
        panels=[Panel(_l("Stage history"), "sales/opportunities/_history_panel.html",
                      _history_and_plugin_panels)],
        form_class=OpportunityForm,
        api_overrides={"amount": Yuan(metadata={"description": "Amount in yuan."}),
                       "pipeline_id": Id(allow_none=True, metadata={
                           "description": "Pipeline (default: the default pipeline)."}),
                       "stage_id": Id(allow_none=True, metadata={
                           "description": "Stage (default: the pipeline's first)."})},
        create=_create, update=_update, delete=_delete,
        export_columns=["id", "name", "customer_id", "type", "pipeline_id", "stage_id",
                        "status", "amount", "probability", "expected_close_date",
                        "forecast_category", "source", "competitors", "next_step",
                        "lost_reason", "owner_id", "closed_at"],
        templates={"list": "sales/opportunities/list.html",
                   "detail": "sales/opportunities/detail.html"},
        actions=("view", "create", "edit", "delete", "export"),
        icon="bullseye", order=210,
    )


def opportunities_resource() -> Resource:
    """The opportunities resource (built once the customers plugin's models are loaded)."""
    if not _resource:
        _resource.append(_build())
    return _resource[0]


def resources() -> list[Resource]:
    """The opportunities resource (for ``crm_resources``)."""
    return [opportunities_resource()]


def on_customer_purged(customer_id: int) -> None:
    """A customer deleted for good takes its opportunities with it, out of the totals."""
    from crm_core.toolkit import get_session

    services.purge_customer_opportunities(get_session(), customer_id)
