"""The receivables page ``/sales/receivables``: what customers still owe on the contracts the
user may see, by contract with ageing buckets and totals, and a bar chart of the buckets
drawn by the kernel's dashboard script (ECharts) from ``/sales/receivables/ageing.json``.

A part of the sales plugin: ``blueprints()``, ``menu_items()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm_core.toolkit import MenuItem, get_session, require_permission

from ..contracts.resource import money_text
from ..permissions import RECEIVABLES_VIEW
from . import ageing as reading

bp = Blueprint("sales_receivables", __name__, template_folder="../templates",
               url_prefix="/sales/receivables")


@bp.get("")
@require_permission(RECEIVABLES_VIEW)
def page() -> Any:
    """Outstanding amounts by customer and contract, with ageing buckets and totals."""
    result = reading.ageing(get_session(), current_user)
    return render_template("sales/receivables/page.html", result=result,
                           buckets=reading.BUCKETS, labels=reading.BUCKET_LABELS,
                           money=money_text)


@bp.get("/ageing.json")
@require_permission(RECEIVABLES_VIEW)
def chart() -> Any:
    """The ageing buckets as a bar chart's data (``{"kind", "title", "data"}``)."""
    result = reading.ageing(get_session(), current_user)
    return {"kind": "bar", "title": str(_l("Receivables ageing")),
            "data": reading.chart_data(result)}


def blueprints() -> list[Blueprint]:
    """The receivables page."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Receivables" in the sidebar."""
    return [MenuItem(id="sales.receivables", label=_l("Receivables"),
                     endpoint="sales_receivables.page", permission=RECEIVABLES_VIEW,
                     icon="hourglass-split", order=346, parent="sales.orders")]
