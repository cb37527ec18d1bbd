"""The analytics plugin's records for a department of the security walk (no tests here):
a customer value row of the department's customer, so that the value lists of one
department are walked with the other's row there to leak."""

from __future__ import annotations

import datetime as dt
from typing import Any


def analytics_records(session: Any, customer_id: int) -> dict[str, Any]:
    """The customer's value row (an important value customer at high churn risk); the
    ``segment`` and ``level`` of the value pages name it (groups, not records)."""
    from plugins.analytics.value.models import CustomerValue

    session.add(CustomerValue(customer_id=customer_id, r=5, f=5, m=5,
                              segment="important_value", purchases=3, amount=300_000,
                              days_since=100, rhythm_days=30, risk=333, churn="high",
                              own_rhythm=True, computed_at=dt.datetime.now(dt.UTC)))
    session.flush()
    return {"segment": "important_value", "level": "high"}


def dashboard_records(session: Any, owner: Any, label: str, marker: str) -> dict[str, Any]:
    """A private dashboard of ``owner`` (its name carries ``marker``) with a saved report
    tile: the dashboard's pages and its tile's data answer its owner only."""
    from plugins.analytics.dashboards.models import Dashboard, Tile

    board = Dashboard(name=f"{label} board {marker}".strip(), owner_id=owner.id,
                      is_default=True)
    session.add(board)
    session.flush()
    tile = Tile(dashboard_id=board.id, kind="report", ref="1", position=0)
    session.add(tile)
    session.flush()
    return {"dashboard_id": board.id, "tile_id": tile.id}


def report_records(session: Any, owner: Any, label: str, marker: str) -> dict[str, Any]:
    """A private saved report of ``owner`` (its title carries ``marker``) and ``owner``'s
    weekly subscription to it: the report's pages, API and data, and the subscription's
    delete, answer its owner only."""
    from plugins.analytics.reports.models import SavedReport, Subscription

    report = SavedReport(title=f"{label} report {marker}".strip(), source="sales.orders",
                         measure="sum_total", dimensions=["month", "owner"], filters={},
                         period="this_year", chart="bar", owner_id=owner.id, shared=False)
    session.add(report)
    session.flush()
    subscription = Subscription(user_id=owner.id, report_id=report.id, frequency="weekly",
                                weekday=0, day=1, last_period="")
    session.add(subscription)
    session.flush()
    return {"report_id": report.id, "subscription_id": subscription.id}
