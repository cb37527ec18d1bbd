"""The forecast page, ``/sales/forecast`` (``sales.forecast.view``): by close month (this
month and the next five by default, or a chosen range), per owner and per department, the
won amount, commit, best case, pipeline and weighted pipeline against the target and the
gap; an ECharts chart (bars of won, commit and best case against the target line) above
the table. Everything is limited to what the viewer may see (``services.forecast``).

A part: offers its blueprint and a menu entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm_core.toolkit import MenuItem, db, require_permission

from ..money import yuan
from ..permissions import FORECAST_VIEW
from .services import Figures, forecast

bp = Blueprint("sales_forecast", __name__, template_folder="../templates",
               static_folder="../static", static_url_path="/forecast/assets",
               url_prefix="/sales")

RANGES = (3, 6, 12)


def _start(text: str | None) -> tuple[dt.date | None, bool]:
    """``2026-12`` → the first of December 2026; (None, refused) for anything else."""
    if not text:
        return None, False
    try:
        year, month = (int(part) for part in text.strip()[:7].split("-"))
        return dt.date(year, month, 1), False
    except ValueError:
        return None, True


def chart_data(result: Any) -> dict[str, Any]:
    """What forecast.js draws: month labels and the won, commit, best case (bars) and
    target (line) series, in yuan."""
    def series(name: str) -> list[float]:
        return [float(yuan(getattr(result.by_month[month], name)))
                for month in result.months]

    return {"labels": [month.strftime("%Y-%m") for month in result.months],
            "series": [{"name": _("Won"), "values": series("won"), "type": "bar"},
                       {"name": _("Commit"), "values": series("commit"), "type": "bar"},
                       {"name": _("Best case"), "values": series("best_case"), "type": "bar"},
                       {"name": _("Target"), "values": series("target"), "type": "line"}]}


@bp.get("/forecast")
@require_permission(FORECAST_VIEW)
def forecast_page() -> Any:
    """The forecast of the chosen months (``?start=2026-12&months=6``)."""
    start, refused = _start(request.args.get("start"))
    months = request.args.get("months", type=int) or 6
    if months not in RANGES:
        months, refused = 6, True
    result = forecast(db.session, current_user, start, months)
    return render_template(
        "sales/forecast/forecast.html", result=result, chart=chart_data(result),
        months=months, ranges=RANGES, start=result.months[0].strftime("%Y-%m"),
        refused=refused, blank=Figures(), yuan=yuan), 400 if refused else 200


def blueprints() -> list[Blueprint]:
    """The forecast page's blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Forecast" for those who may see it."""
    return [MenuItem("sales.forecast", _l("Forecast"), "sales_forecast.forecast_page",
                     permission=FORECAST_VIEW, icon="graph-up-arrow", order=930,
                     parent="sales.opportunities")]
