"""The forecast: per close month, owner and department, what is open (weighted pipeline,
best case, commit), what was won, the target and the gap.

How it stays fast at 2M opportunities: it reads maintained aggregates only, never the
opportunities. The open side is ``ForecastTotal`` (open deals per close month, owner,
department and category, kept on every change by ``sales.aggregates.forecast``); the won
side ``MonthlyTotal``; the targets their own small table. Grouping the open deals over the
``(status, expected_close_date)`` index was measured first and dropped: in a sales team
nearly every open deal closes within the next months, so the "range" is most of the open
deals and the query reads them all (2 s at 200,000 opportunities on SQLite, growing with
the table). The aggregate has a few rows per owner and month, so the page costs the same at
any size. Three statements in all, each limited to the viewer's data scope.

Categories follow Salesforce: *commit* counts deals in ``commit`` (and ``closed`` ones not
yet won), *best case* adds ``best_case`` ones, *pipeline* every open deal but ``omitted``
ones; *weighted* is Σ amount × probability over the same deals. Gap = target − won.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm_core.toolkit import Model, scoped, user_names

from ..aggregates.periods import add_months, month_of
from ..aggregates.scope import scoped_totals
from ..models import ForecastTotal, MonthlyTotal, Target

MAX_MONTHS = 24
MEASURES = ("won", "commit", "best_case", "pipeline", "weighted", "target")
COMMIT = ("commit", "closed")
BEST_CASE = ("best_case", *COMMIT)


@dataclass
class Figures:
    """The measures of one row (fen); ``gap`` = target − won."""

    won: int = 0
    commit: int = 0
    best_case: int = 0
    pipeline: int = 0
    weighted: int = 0
    target: int = 0

    @property
    def gap(self) -> int:
        """What is left to win to meet the target (negative: beyond it)."""
        return self.target - self.won

    def add(self, other: Figures) -> None:
        """Add ``other``'s measures to these."""
        for name in MEASURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Forecast:
    """The forecast of ``months`` (first days), in total per month and per owner and
    department over the whole range."""

    months: list[dt.date]
    by_month: dict[dt.date, Figures] = field(default_factory=dict)
    by_owner: dict[int | None, Figures] = field(default_factory=dict)
    by_department: dict[int | None, Figures] = field(default_factory=dict)
    owner_names: dict[int, str] = field(default_factory=dict)
    department_names: dict[int, str] = field(default_factory=dict)
    owner_departments: dict[int | None, int | None] = field(default_factory=dict)

    @property
    def total(self) -> Figures:
        """The whole range."""
        figures = Figures()
        for month in self.months:
            figures.add(self.by_month[month])
        return figures


def _open_side(session: Session, forecast: Forecast, user: Any, start: dt.date,
               end: dt.date) -> None:
    query = (select(ForecastTotal.month, ForecastTotal.owner_id, ForecastTotal.department_id,
                    ForecastTotal.category, func.sum(ForecastTotal.amount),
                    func.sum(ForecastTotal.weighted))
             .where(ForecastTotal.month >= start, ForecastTotal.month < end,
                    ForecastTotal.category != "omitted")
             .group_by(ForecastTotal.month, ForecastTotal.owner_id,
                       ForecastTotal.department_id, ForecastTotal.category))
    for month, owner, department, category, amount, weighted in session.execute(
            scoped_totals(query, ForecastTotal, "sales.opportunity", user)):
        amount = int(amount or 0)
        row = Figures(pipeline=amount, weighted=int(weighted or 0) // 100,
                      best_case=amount if category in BEST_CASE else 0,
                      commit=amount if category in COMMIT else 0)
        _place(forecast, month_of(month), owner, department, row)


def _won_side(session: Session, forecast: Forecast, user: Any, start: dt.date,
              end: dt.date) -> None:
    query = (select(MonthlyTotal.month, MonthlyTotal.owner_id, MonthlyTotal.department_id,
                    func.sum(MonthlyTotal.won_amount))
             .where(MonthlyTotal.month >= start, MonthlyTotal.month < end)
             .group_by(MonthlyTotal.month, MonthlyTotal.owner_id, MonthlyTotal.department_id))
    for month, owner, department, won in session.execute(
            scoped_totals(query, MonthlyTotal, "sales.opportunity", user)):
        _place(forecast, month_of(month), owner, department, Figures(won=int(won or 0)))


def _quarter_share(amount: int, month: dt.date, start: dt.date) -> int:
    """A quarter's target spread over its three months (the last takes the remainder)."""
    share = amount // 3
    return amount - 2 * share if add_months(start, 2) == month else share


def _targets(session: Session, forecast: Forecast, user: Any, start: dt.date,
             end: dt.date) -> None:
    query = scoped(select(Target).where(
        Target.period_start < end, Target.period_start >= add_months(start, -2),
        or_(Target.period_kind == "quarter", Target.period_start >= start)), Target, user)
    department_targets: dict[dt.date, int] = defaultdict(int)
    user_targets: dict[dt.date, int] = defaultdict(int)
    team_of_users: dict[int | None, int] = defaultdict(int)
    for target in session.scalars(query):
        begin = month_of(target.period_start)
        span = 3 if target.period_kind == "quarter" else 1
        for step in range(span):
            month = add_months(begin, step)
            if not start <= month < end:
                continue
            amount = (_quarter_share(target.amount, month, begin) if span == 3
                      else target.amount)
            if target.user_id is None:
                department_targets[month] += amount
                forecast.by_department.setdefault(target.department_id, Figures()).target \
                    += amount
            else:
                user_targets[month] += amount
                forecast.by_owner.setdefault(target.user_id, Figures()).target += amount
                forecast.owner_departments.setdefault(target.user_id, target.department_id)
                team_of_users[target.department_id] += amount
    for department, amount in team_of_users.items():  # no team target: its people's sum
        row = forecast.by_department.setdefault(department, Figures())
        row.target = row.target or amount
    for month in forecast.months:  # a department's target is the whole team's
        forecast.by_month[month].target = department_targets.get(month) \
            or user_targets.get(month, 0)


def _place(forecast: Forecast, month: dt.date, owner: int | None, department: int | None,
           row: Figures) -> None:
    forecast.by_month.setdefault(month, Figures()).add(row)
    forecast.by_owner.setdefault(owner, Figures()).add(row)
    forecast.by_department.setdefault(department, Figures()).add(row)
    forecast.owner_departments.setdefault(owner, department)


def department_names(session: Session, ids: Any) -> dict[int, str]:
    """``{department id: name}`` for the given ids (the kernel's departments table)."""
    wanted = {int(item) for item in ids if item is not None}
    if not wanted:
        return {}
    table = Model.metadata.tables["core_department"]
    return dict(session.execute(select(table.c.id, table.c.name)
                                .where(table.c.id.in_(wanted))).all())


def forecast(session: Session, user: Any, start: dt.date | None = None,
             months: int = 6) -> Forecast:
    """The forecast of ``months`` months from ``start`` (default: this month) as ``user``
    may see it."""
    first = month_of(start)
    months = max(1, min(int(months), MAX_MONTHS))
    end = add_months(first, months)
    result = Forecast(months=[add_months(first, step) for step in range(months)])
    result.by_month = {month: Figures() for month in result.months}
    _open_side(session, result, user, first, end)
    _won_side(session, result, user, first, end)
    _targets(session, result, user, first, end)
    result.owner_names = user_names(session, [key for key in result.by_owner if key])
    result.department_names = department_names(session, [
        *result.by_department, *result.owner_departments.values()])
    return result

