"""Opportunities and the history of the stages they went through.

Amounts are integer fen (``BigInteger``); ``status`` copies the stage's kind (open, won, lost)
so that lists, the forecast and the kanban filter on one indexed column. ``version`` is the
optimistic lock: two people moving the same card at once cannot both win.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import DataScope, Model, ScopeThrough, TimestampMixin, custom_column

from .pipeline import STAGE_KIND_LABELS

CUSTOMER_ID = "customers_customer.id"  # customers' public CUSTOMER_ID (services.__all__)

OPPORTUNITY_TYPES = ("new", "existing", "renewal", "upsell")
OPPORTUNITY_TYPE_LABELS = {"new": _l("New business"), "existing": _l("Existing business"),
                           "renewal": _l("Renewal"), "upsell": _l("Upsell")}
#: Forecast categories in Salesforce's sense: what the owner commits to.
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
FORECAST_CATEGORY_LABELS = {"pipeline": _l("Pipeline"), "best_case": _l("Best case"),
                            "commit": _l("Commit"), "closed": _l("Closed"),
                            "omitted": _l("Omitted")}


class Opportunity(TimestampMixin, Model):
    """A possible sale to a customer, moving through a pipeline's stages."""

    __tablename__ = "sales_opportunity"
    __data_scope__ = DataScope(kind="sales.opportunity")
    __table_args__ = (
        # the kanban's lazy columns: one stage's open cards by amount, then id
        Index("ix_sales_opportunity_stage_amount", "stage_id", "amount", "id"),
        Index("ix_sales_opportunity_owner_stage", "owner_id", "stage_id", "amount", "id"),
        Index("ix_sales_opportunity_department_stage", "department_id", "stage_id"),
        # list sorts (everyone; a rep's own) and the forecast by close month
        Index("ix_sales_opportunity_updated_id", "updated_at", "id"),
        Index("ix_sales_opportunity_owner_updated", "owner_id", "updated_at", "id"),
        Index("ix_sales_opportunity_owner_amount", "owner_id", "amount", "id"),
        Index("ix_sales_opportunity_close", "status", "expected_close_date"),
        Index("ix_sales_opportunity_customer", "customer_id"),
        Index("ix_sales_opportunity_created_at", "created_at"),  # analytics' recent days
    )
    __audit_label__ = _l("Opportunity")
    __audit_labels__ = {
        "name": _l("Name"), "customer_id": _l("Customer"), "type": _l("Type"),
        "pipeline_id": _l("Pipeline"), "stage_id": _l("Stage"), "amount": _l("Amount"),
        "probability": _l("Probability"), "expected_close_date": _l("Expected close date"),
        "owner_id": _l("Owner"), "department_id": _l("Department"), "source": _l("Source"),
        "campaign_id": _l("Campaign"), "competitors": _l("Competitors"),
        "next_step": _l("Next step"), "lost_reason": _l("Lost reason"),
        "forecast_category": _l("Forecast category"), "status": _l("Status"),
        "stage_entered_at": _l("In stage since"), "closed_at": _l("Closed"),
        "version": _l("Version")}
    __audit_choices__ = {"type": OPPORTUNITY_TYPE_LABELS, "status": STAGE_KIND_LABELS,
                         "forecast_category": FORECAST_CATEGORY_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(ForeignKey(CUSTOMER_ID, ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("sales_pipeline.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("sales_stage.id"))
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    probability: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expected_close_date: Mapped[dt.date | None] = mapped_column(Date)
    forecast_category: Mapped[str] = mapped_column(String(12), default="pipeline",
                                                   server_default="pipeline")
    source: Mapped[str] = mapped_column(String(50), default="", server_default="")
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    competitors: Mapped[str] = mapped_column(String(500), default="", server_default="")
    next_step: Mapped[str] = mapped_column(String(500), default="", server_default="")
    lost_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"))
    stage_entered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # custom fields an administrator defines (kernel custom_fields; sales migration)
    custom: Mapped[dict[str, Any] | None] = custom_column(
        "sales.opportunity", label=_l("Opportunities"))

    __mapper_args__ = {"version_id_col": version}


class StageHistory(Model):
    """One stay of an opportunity in a stage: entered, left (None while it is there)."""

    __tablename__ = "sales_stage_history"
    __audit_labels__ = {
        "opportunity_id": _l("Opportunity"), "stage_id": _l("Stage"),
        "from_stage_id": _l("From stage"), "entered_at": _l("Entered"), "left_at": _l("Left"),
        "seconds": _l("Seconds in the stage")}
    __data_scope__ = ScopeThrough("opportunity_id", Opportunity, parent_deleted="deleted_at")
    __table_args__ = (Index("ix_sales_stage_history_opportunity", "opportunity_id",
                            "entered_at"),)
    __audit_label__ = _l("Stage history")

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("sales_opportunity.id", ondelete="CASCADE"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("sales_stage.id", ondelete="CASCADE"))
    from_stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_stage.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id",
                                                           ondelete="SET NULL"))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[int | None] = mapped_column(BigInteger)
