"""Saved reports: who sees which, running one as its reader, and saving, changing, copying
and deleting them (the only module that writes ``analytics_report``).

A report stores a question (source, measure, dimensions, filters, period), never figures:
``run_report`` asks the query engine (``query.run_query``) as the reader, so a rep sees only
their own numbers even in a report a manager shared with them. A report is the owner's own
unless shared with roles; anyone else gets ``ReportNotFound`` (404), as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm_core.toolkit import INT32_MAX, DomainError, model_for_table, sql, utcnow

from ..custom import user_source
from ..query import business_zone, check_query, run_query
from ..sources import all_sources
from .models import CHARTS, PERIODS, ReportRole, SavedReport

__all__ = [
    "ReportNotFound",
    "create_report",
    "delete_report",
    "duplicate_report",
    "get_report",
    "own_report",
    "period_bounds",
    "report_roles",
    "run_report",
    "run_saved",
    "update_report",
    "user_role_ids",
    "visible_reports",
]

TITLE_MAX = 120


class ReportNotFound(DomainError):
    """No such saved report, or one the user may not see (pages and the API answer 404)."""

    status = 404


def user_role_ids(session: Session, user: Any) -> set[int]:
    """The ids of the kernel roles given to ``user``."""
    user_role = model_for_table("core_user_role")
    return set(session.scalars(select(user_role.role_id).where(user_role.user_id == user.id)))


def visible_reports(session: Session, user: Any) -> list[SavedReport]:
    """The user's own reports and those shared with one of their roles, by title."""
    shared = select(ReportRole.report_id).where(
        ReportRole.role_id.in_(user_role_ids(session, user) or {0}))
    query = (select(SavedReport)
             .where(or_(SavedReport.owner_id == user.id,
                        SavedReport.shared.is_(True) & SavedReport.id.in_(shared)))
             .order_by(SavedReport.title, SavedReport.id))
    return list(session.scalars(query))


def get_report(session: Session, report_id: Any, user: Any) -> SavedReport:
    """The saved report if ``user`` may see it; ``ReportNotFound`` (404) otherwise."""
    report = None
    if isinstance(report_id, int) and not isinstance(report_id, bool) \
            and 0 < report_id <= INT32_MAX:
        report = session.get(SavedReport, report_id)
    if report is not None and report.owner_id != user.id:
        roles = user_role_ids(session, user)
        if not report.shared or not roles or session.scalar(
                select(ReportRole.report_id).where(ReportRole.report_id == report.id,
                                                   ReportRole.role_id.in_(roles))) is None:
            report = None
    if report is None:
        raise ReportNotFound(_("There is no such report, or you may not see it."))
    return report


def own_report(session: Session, report_id: Any, user: Any) -> SavedReport:
    """The saved report if it is ``user``'s own (only the owner changes or deletes it)."""
    report = get_report(session, report_id, user)
    if report.owner_id != user.id:
        raise ReportNotFound(_("Only the owner of a report may change or delete it."))
    return report


def report_roles(session: Session, report: SavedReport) -> list[int]:
    """The ids of the roles a report is shared with."""
    return sorted(session.scalars(select(ReportRole.role_id)
                                  .where(ReportRole.report_id == report.id)))


def today() -> dt.date:
    """Today in the company's time zone (the days reports count in)."""
    return dt.date.fromisoformat(sql.label_of("day", utcnow(), business_zone()))


def period_bounds(period: str, day: dt.date | None = None) -> tuple[str | None, str | None]:
    """``(date_from, date_to)`` (ISO days, None: open) of a report's period seen on ``day``;
    ``custom`` and ``all`` give ``(None, None)`` (the report's own filters decide)."""
    day = day or today()
    first = day.replace(day=1)
    if period == "this_month":
        return first.isoformat(), day.isoformat()
    if period == "last_month":
        end = first - dt.timedelta(days=1)
        return end.replace(day=1).isoformat(), end.isoformat()
    if period == "this_year":
        return day.replace(month=1, day=1).isoformat(), day.isoformat()
    if period == "last_year":
        return dt.date(day.year - 1, 1, 1).isoformat(), dt.date(day.year - 1, 12, 31).isoformat()
    if period == "last_30_days":
        return (day - dt.timedelta(days=29)).isoformat(), day.isoformat()
    if period == "last_12_months":
        month = first.year * 12 + first.month - 1 - 11
        return dt.date(month // 12, month % 12 + 1, 1).isoformat(), day.isoformat()
    return None, None


def report_filters(report: SavedReport, date_from: str | None = None,
                   date_to: str | None = None) -> dict[str, Any]:
    """The query filters of a run: the report's own, its period's dates, then the dates the
    caller gives (a dashboard's date filter, a subscription's period) over both."""
    filters = dict(report.filters or {})
    start, end = period_bounds(report.period)
    if start is not None:
        filters.update(date_from=start, date_to=end)
    if date_from:
        filters["date_from"] = date_from
    if date_to:
        filters["date_to"] = date_to
    return filters


def run_report(session: Session, report_id: int, user: Any, *, date_from: str | None = None,
               date_to: str | None = None) -> dict[str, Any]:
    """Run a saved report as ``user`` (their data scope applies): ``{"id", "title", "chart",
    "dimensions", "rows", "as_of", "notice", ...}``. A report whose source's plugin is not
    enabled (or whose source no longer has its measure) answers no rows and a ``notice``
    saying why, instead of failing. ``ReportNotFound`` for a report the user may not see."""
    return run_saved(session, get_report(session, report_id, user), user,
                     date_from=date_from, date_to=date_to)


def run_saved(session: Session, report: SavedReport, user: Any, *,
              date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:
    """Run ``report`` (saved or not yet: the builder's preview) as ``user``; see
    ``run_report``. The caller has checked that ``user`` may see it."""
    filters = report_filters(report, date_from, date_to)
    answer: dict[str, Any] = {
        "id": report.id, "title": report.title, "chart": report.chart,
        "source": report.source, "measure": report.measure,
        "dimensions": list(report.dimensions or []), "filters": filters, "rows": [],
        "as_of": utcnow().isoformat(), "notice": None, "measure_label": report.measure,
        "dimension_labels": {name: name for name in report.dimensions or []},
        "money": False, "kind": "count"}
    # the reader's custom fields too: one archived, or hidden from them, no longer fits
    source = user_source(session, user, report.source)
    if source is None:
        answer["notice"] = _("The source plugin %(plugin)s is not enabled: this report has "
                             "nothing to show until it is.",
                             plugin=report.source.split(".", 1)[0])
        return answer
    try:
        result = run_query(session, source, report.measure, list(report.dimensions or []),
                           filters, user)
    except ValidationError as error:
        answer["notice"] = _("This report no longer fits its source %(source)s (%(fields)s); "
                             "edit it.", source=report.source,
                             fields=", ".join(sorted(error.normalized_messages())))
        return answer
    measure = source.measure(report.measure)
    names = {"month": _("Month"), "week": _("Week"), "day": _("Day"),
             **{d.id: str(d.label) for d in source.dimensions}}
    answer.update(rows=result["rows"], as_of=result["as_of"],
                  measure_label=str(measure.label), money=measure.unit == "CNY",
                  kind=measure.kind,
                  dimension_labels={name: names.get(name, name) for name in answer["dimensions"]})
    return answer


def clean_report(data: dict[str, Any], session: Session | None = None,
                 user: Any = None) -> dict[str, Any]:
    """The builder's fields checked against the source (a ``ValidationError`` naming each
    field that is wrong): title, source, measure, dimensions, filters, period, chart,
    shared, role_ids. With a ``session``, the source has the custom fields ``user`` may see
    (``custom.user_source``)."""
    errors: dict[str, list[str]] = {}
    title = " ".join(str(data.get("title") or "").split())
    if not title or len(title) > TITLE_MAX or "\x00" in title:
        errors["title"] = [_("A report needs a title of at most %(max)d characters.",
                             max=TITLE_MAX)]
    if data.get("chart", "bar") not in CHARTS:
        errors["chart"] = [_("Choose one of: %(names)s.", names=", ".join(CHARTS))]
    if data.get("period", "this_year") not in PERIODS:
        errors["period"] = [_("Choose one of: %(names)s.", names=", ".join(PERIODS))]
    source_id = str(data.get("source") or "")
    source = user_source(session, user, source_id) if session is not None \
        else all_sources().get(source_id)
    if source is None:
        errors["source"] = [_("There is no source %(name)s; the enabled ones are: %(names)s.",
                              name=data.get("source"), names=", ".join(all_sources()))]
    dimensions = list(data.get("dimensions") or [])
    filters = {key: value for key, value in dict(data.get("filters") or {}).items()
               if value not in (None, "")}
    for key, value in filters.items():
        if isinstance(value, str) and (len(value) > 200 or "\x00" in value):
            errors[f"filters.{key}"] = [_("At most 200 characters.")]
        elif isinstance(value, int) and not isinstance(value, bool) \
                and not -INT32_MAX <= value <= INT32_MAX:
            errors[f"filters.{key}"] = [_("Not an id.")]
    if not 1 <= len(dimensions) <= 2:
        errors["dimensions"] = [_("Choose one or two dimensions.")]
    if source is not None and "dimensions" not in errors:
        try:
            check_query(source, str(data.get("measure") or ""), dimensions, filters)
        except ValidationError as error:
            errors.update(error.normalized_messages())
    if errors:
        raise ValidationError(errors)
    return {"title": title, "source": source.id, "measure": data["measure"],
            "dimensions": dimensions, "filters": filters,
            "period": data.get("period", "this_year"), "chart": data.get("chart", "bar"),
            "shared": bool(data.get("shared")),
            "role_ids": sorted({int(r) for r in data.get("role_ids") or ()})}


def _set_roles(session: Session, report: SavedReport, role_ids: Iterable[int]) -> None:
    role = model_for_table("core_role")
    wanted = set(session.scalars(select(role.id).where(role.id.in_(set(role_ids) or {0})))) \
        if report.shared else set()
    current = {row.role_id: row for row in session.scalars(
        select(ReportRole).where(ReportRole.report_id == report.id))}
    for role_id in set(current) - wanted:
        session.delete(current[role_id])
    for role_id in wanted - set(current):
        session.add(ReportRole(report_id=report.id, role_id=role_id))


def create_report(session: Session, user: Any, data: dict[str, Any]) -> SavedReport:
    """Save a new report of ``user`` from the builder's fields (see ``clean_report``)."""
    clean = clean_report(data, session, user)
    role_ids = clean.pop("role_ids")
    report = SavedReport(owner_id=user.id, **clean)
    session.add(report)
    session.flush()
    _set_roles(session, report, role_ids)
    session.flush()
    return report


def update_report(session: Session, report_id: int, user: Any,
                  data: dict[str, Any]) -> SavedReport:
    """Change one of ``user``'s own reports (fields as for ``create_report``)."""
    report = own_report(session, report_id, user)
    clean = clean_report(data, session, user)
    role_ids = clean.pop("role_ids")
    for key, value in clean.items():
        if getattr(report, key) != value:
            setattr(report, key, value)
    _set_roles(session, report, role_ids)
    session.flush()
    return report


def duplicate_report(session: Session, report_id: int, user: Any) -> SavedReport:
    """A private copy, owned by ``user``, of a report they may see."""
    report = get_report(session, report_id, user)
    title = _("Copy of %(title)s", title=report.title)[:TITLE_MAX]
    copy = SavedReport(owner_id=user.id, title=title, source=report.source,
                       measure=report.measure, dimensions=list(report.dimensions or []),
                       filters=dict(report.filters or {}), period=report.period,
                       chart=report.chart, shared=False)
    session.add(copy)
    session.flush()
    return copy


def delete_report(session: Session, report_id: int, user: Any) -> None:
    """Delete one of ``user``'s own reports (its shares and subscriptions go with it)."""
    report = own_report(session, report_id, user)
    from .models import Subscription

    for row in session.scalars(select(ReportRole).where(ReportRole.report_id == report.id)):
        session.delete(row)
    for row in session.scalars(select(Subscription)
                               .where(Subscription.report_id == report.id)):
        session.delete(row)
    session.delete(report)
    session.flush()

