"""Saved reports (a query of the report builder, kept privately or shared with roles) and
the subscriptions that e-mail a report or a dashboard's reports every week or month."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin

CHARTS = ("bar", "line", "pie", "table")
#: How far back a saved report looks when it is run without dates.
PERIODS = ("this_month", "last_month", "this_year", "last_year", "last_30_days",
           "last_12_months", "custom", "all")
FREQUENCIES = ("weekly", "monthly")


class SavedReport(TimestampMixin, Model):
    """A report of the builder: one source's measure by one or two dimensions, filtered.

    It stores the question, never figures: whoever runs it gets the answer of their own data
    scope. ``shared``: the roles in ``analytics_report_role`` see it too (and may run it)."""

    __tablename__ = "analytics_report"
    __audit_label__ = _l("Saved report")
    __audit_labels__ = {"title": _l("Title"), "source": _l("Source"), "measure": _l("Measure"),
                        "dimensions": _l("Dimensions"), "filters": _l("Filters"),
                        "period": _l("Period"), "chart": _l("Chart"), "owner_id": _l("Owner"),
                        "shared": _l("Shared")}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(60))
    measure: Mapped[str] = mapped_column(String(60))
    dimensions: Mapped[list[str]] = mapped_column(JSON, default=list)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    period: Mapped[str] = mapped_column(String(20), default="this_year")
    chart: Mapped[str] = mapped_column(String(10), default="bar")
    owner_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                          index=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)


class ReportRole(Model):
    """Shares one saved report with one role."""

    __tablename__ = "analytics_report_role"
    __audit_label__ = _l("Role a report is shared with")
    __audit_labels__ = {"report_id": _l("Saved report"), "role_id": _l("Role")}

    report_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_report.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(
        ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True, index=True)


class Subscription(TimestampMixin, Model):
    """A user's wish to receive a saved report (``report_id``) or a dashboard's reports
    (``dashboard_id``) by e-mail weekly (on ``weekday``, 0 Monday) or monthly (on ``day``).
    ``last_period`` names the last period sent (``2026-W49``, ``2026-11``)."""

    __tablename__ = "analytics_subscription"
    __audit_label__ = _l("Report subscription")
    __audit_labels__ = {"user_id": _l("User"), "report_id": _l("Saved report"),
                        "dashboard_id": _l("Dashboard"), "frequency": _l("Frequency"),
                        "weekday": _l("Weekday"), "day": _l("Day of the month"),
                        "last_period": _l("Last period sent")}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                         index=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("analytics_report.id", ondelete="CASCADE"), index=True)
    # no foreign key: dashboards are a later migration (analytics_0003); a subscription to a
    # deleted dashboard is removed when it is next due
    dashboard_id: Mapped[int | None] = mapped_column(Integer, index=True)
    frequency: Mapped[str] = mapped_column(String(10), default="weekly")
    weekday: Mapped[int] = mapped_column(SmallInteger, default=0)
    day: Mapped[int] = mapped_column(SmallInteger, default=1)
    last_period: Mapped[str] = mapped_column(String(10), default="")


MODELS = (SavedReport, ReportRole, Subscription)
