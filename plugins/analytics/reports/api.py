"""``/api/v1/analytics/reports``: saved reports (list the visible ones, create, get, change,
delete) and ``GET …/<id>/data`` (run as the caller: their data scope applies); a part of
``plugin.py`` (``blueprints()``). Unknown measures, dimensions or filters answer 422 naming
the field; a report one may not see answers 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from flask_login import current_user
from marshmallow import Schema, fields, validate

from crm_core.toolkit import Id, api_endpoint, get_session

from ..permissions import SHARE_REPORTS, VIEW
from . import service
from .models import CHARTS, PERIODS, SavedReport
from .views import own_data

api = Blueprint("analytics_reports_api", __name__)
BASE = "/api/v1/analytics/reports"


def blueprints() -> list[Blueprint]:
    """The saved reports API's blueprint."""
    return [api]


def _fields(required: bool) -> dict[str, Any]:
    """The fields of a report body (``required``: a new report; else a change, where only the
    fields given change and none has a default)."""
    def given(default: Any) -> dict[str, Any]:
        return {"load_default": default} if required else {}

    return {
        "title": fields.String(required=required,
                               validate=validate.Length(1, service.TITLE_MAX)),
        "source": fields.String(required=required, validate=validate.Length(1, 60)),
        "measure": fields.String(required=required, validate=validate.Length(1, 60)),
        "dimensions": fields.List(fields.String(validate=validate.Length(1, 60)),
                                  required=required, validate=validate.Length(1, 2)),
        "filters": fields.Dict(keys=fields.String(validate=validate.Length(1, 60)),
                               validate=validate.Length(max=30), **given(dict)),
        "period": fields.String(validate=validate.OneOf(PERIODS), **given("this_year")),
        "chart": fields.String(validate=validate.OneOf(CHARTS), **given("bar")),
        "shared": fields.Boolean(**given(False)),
        "role_ids": fields.List(Id(), validate=validate.Length(max=100), **given(list)),
    }


#: A saved report: a source, one of its measures, one or two of its dimensions, filters
#: (``date_from``/``date_to`` days, ``owner_id``, ``department_id``, a dimension's value), a
#: period (``this_year``…; ``custom``: the filters' dates), a chart and its sharing.
ReportBody = Schema.from_dict(_fields(True), name="AnalyticsReport")
#: A change of a saved report: only the fields given change.
ReportPatch = Schema.from_dict(_fields(False), name="AnalyticsReportChange")


class RunQuery(Schema):
    """The dates a run may take instead of the report's own (inclusive days)."""

    date_from = fields.Date()
    date_to = fields.Date()


def _user() -> Any:
    return current_user._get_current_object()  # noqa: SLF001


def dump(report: SavedReport) -> dict[str, Any]:
    """A saved report as the API shows it."""
    return {"id": report.id, "title": report.title, "source": report.source,
            "measure": report.measure, "dimensions": list(report.dimensions or []),
            "filters": dict(report.filters or {}), "period": report.period,
            "chart": report.chart, "shared": report.shared, "owner_id": report.owner_id,
            "role_ids": service.report_roles(get_session(), report),
            "mine": report.owner_id == current_user.id,
            "created_at": report.created_at.isoformat() if report.created_at else None,
            "updated_at": report.updated_at.isoformat() if report.updated_at else None}


def _check_share(body: dict[str, Any]) -> None:
    if body.get("shared") and not current_user.has_permission(SHARE_REPORTS):
        abort(403)


@api_endpoint(api, BASE, permission=VIEW, tags=["analytics"], endpoint="list")
def list_reports() -> dict[str, Any]:
    """The saved reports you may see: your own and those shared with one of your roles."""
    return {"items": [dump(report) for report in
                      service.visible_reports(get_session(), _user())]}


@api_endpoint(api, BASE, methods=("POST",), permission=VIEW, body=ReportBody, status=201,
              tags=["analytics"], endpoint="create")
@own_data
def create(body: dict[str, Any]) -> dict[str, Any]:
    """Save a report (private unless ``shared``: sharing with roles needs
    ``analytics.report.share``)."""
    _check_share(body)
    session = get_session()
    report = service.create_report(session, _user(), body)
    session.commit()
    return dump(report)


@api_endpoint(api, f"{BASE}/<int:report_id>", permission=VIEW, tags=["analytics"],
              endpoint="get")
def get(report_id: int) -> dict[str, Any]:
    """One saved report you may see."""
    return dump(service.get_report(get_session(), report_id, _user()))


@api_endpoint(api, f"{BASE}/<int:report_id>", methods=("PUT", "PATCH"), permission=VIEW,
              body=ReportPatch, tags=["analytics"], endpoint="update")
@own_data
def update(report_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Change one of your reports (``PATCH``: the fields given; ``PUT``: all of them)."""
    session = get_session()
    report = service.own_report(session, report_id, _user())
    current = {"title": report.title, "source": report.source, "measure": report.measure,
               "dimensions": list(report.dimensions or []),
               "filters": dict(report.filters or {}), "period": report.period,
               "chart": report.chart, "shared": report.shared,
               "role_ids": service.report_roles(session, report)}
    if "source" in body and body["source"] != report.source:
        current["filters"] = {}  # another source's filters do not carry over
    merged = {**current, **body}
    _check_share(merged if "shared" in body else {})
    report = service.update_report(session, report_id, _user(), merged)
    session.commit()
    return dump(report)


@api_endpoint(api, f"{BASE}/<int:report_id>", methods=("DELETE",), permission=VIEW,
              status=204, tags=["analytics"], endpoint="delete")
@own_data
def delete(report_id: int) -> None:
    """Delete one of your reports (its subscriptions end)."""
    session = get_session()
    service.delete_report(session, report_id, _user())
    session.commit()


@api_endpoint(api, f"{BASE}/<int:report_id>/data", permission=VIEW, query=RunQuery,
              tags=["analytics"], endpoint="data")
def data(report_id: int, query: dict[str, Any]) -> dict[str, Any]:
    """Run a report you may see, as you: ``{"title", "chart", "dimensions", "rows",
    "as_of", "notice"}`` (a notice and no rows when its source's plugin is not enabled)."""
    dates = {key: query[key].isoformat() for key in ("date_from", "date_to") if key in query}
    return service.run_report(get_session(), report_id, _user(), **dates)
