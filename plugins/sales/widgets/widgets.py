"""The sales dashboard widgets (a part: ``report_widgets``): funnel by stage, revenue per
month, win rate, top products, forecast against target and receivables ageing. Each is
shown to those holding the permission to see what it sums, and counts only the records the
viewer may see (``services``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm_core.toolkit import ReportWidget, db

from ..permissions import FORECAST_VIEW, OPPORTUNITY_VIEW, RECEIVABLES_VIEW
from . import services

ORDER_VIEW = "sales.order.view"


def _data(function: Callable[..., dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    def data() -> dict[str, Any]:
        return function(db.session, current_user)

    return data


def report_widgets() -> list[ReportWidget]:
    """The six sales widgets."""
    return [
        ReportWidget(id="sales.funnel", title=_l("Open pipeline by stage"), kind="bar",
                     data=_data(services.funnel), permission=OPPORTUNITY_VIEW, order=300,
                     caption=_l("Amount per stage; the count in brackets")),
        ReportWidget(id="sales.revenue", title=_l("Revenue per month"), kind="line",
                     data=_data(services.revenue), permission=ORDER_VIEW, order=301,
                     caption=_l("Last 12 months")),
        ReportWidget(id="sales.win_rate", title=_l("Win rate (%)"), kind="line",
                     data=_data(services.win_rate), permission=OPPORTUNITY_VIEW, order=302,
                     caption=_l("Won ÷ (won + lost), last 12 months")),
        ReportWidget(id="sales.top_products", title=_l("Top products"), kind="bar",
                     data=_data(services.top_products), permission=ORDER_VIEW, order=303,
                     caption=_l("Untaxed sales, last 12 months")),
        ReportWidget(id="sales.forecast", title=_l("Forecast against target"), kind="bar",
                     data=_data(services.forecast_against_target), permission=FORECAST_VIEW,
                     order=304, caption=_l("This month and the next two")),
        ReportWidget(id="sales.receivables_ageing", title=_l("Receivables ageing"),
                     kind="bar", data=_data(services.receivables_ageing),
                     permission=RECEIVABLES_VIEW, order=305,
                     caption=_l("Open instalments by days overdue")),
    ]
