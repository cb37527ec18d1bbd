"""The report builder's pages (a part: ``blueprints()``, ``menu_items()``): my and shared
reports at ``/analytics/reports``, the builder (``/new``, ``/<id>/edit``: pick a source, a
measure, one or two dimensions, filters and a chart; "Preview" draws it, "Save" keeps it), a
report's page (chart, pivot table with totals, dates, XLSX/CSV), duplicate, delete and "add
to dashboard". Every figure is the reader's: the report runs as whoever opens it."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from crm_core.toolkit import DomainError, MenuItem, get_session, require_permission, utcnow

from ..custom import user_sources
from ..permissions import SHARE_REPORTS, VIEW
from ..sources import all_sources
from . import service
from .forms import report_form
from .tables import chart_data, pivot, workbook

bp = Blueprint("analytics_reports", __name__, template_folder="templates",
               static_folder="static", static_url_path="/analytics/reports/assets")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def blueprints() -> list[Blueprint]:
    """The report pages' blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Reports" (the builder and saved reports)."""
    return [MenuItem("analytics.reports", _l("Reports"), "analytics_reports.index",
                     permission=VIEW, icon="table", order=803)]


def own_data(view: Any) -> Any:
    """Mark a write that changes only the signed-in user's own reports (as the kernel marks
    a list's saved views): anyone who reads analysis keeps reports of their own."""
    view.crm_own_data = True
    return view


def _user() -> Any:
    return current_user._get_current_object()  # noqa: SLF001


def _may_share() -> bool:
    return bool(current_user.has_permission(SHARE_REPORTS))


def _dashboards() -> list[Any]:
    """The user's own dashboards (to add a report to), or [] without the dashboards part."""
    try:
        from ..dashboards import service as dashboards
    except ImportError:  # pragma: no cover - the dashboards part is optional
        return []
    return [item for item in dashboards.user_dashboards(get_session(), _user())
            if item.owner_id == current_user.id]


@bp.get("/analytics/reports")
@require_permission(VIEW)
def index() -> str:
    """My reports and those shared with one of my roles."""
    reports = service.visible_reports(get_session(), _user())
    return render_template("analytics/reports/index.html", reports=reports,
                           sources=all_sources())


def _builder(form: Any, report: Any = None, preview: dict[str, Any] | None = None,
             status: int = 200) -> Any:
    table = pivot(preview) if preview and not preview.get("notice") else None
    return render_template(
        "analytics/reports/builder.html", form=form, report=report, preview=preview,
        table=table, chart=chart_data(preview, table) if table else None,
        may_share=_may_share(), sources=all_sources()), status


def _preview(form: Any) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The builder's figures before saving (as the reader), or the fields that are wrong."""
    data = form.report_data()
    data["title"] = data["title"] or "-"
    try:
        clean = service.clean_report(data, get_session(), _user())
    except ValidationError as error:
        return None, error.normalized_messages()
    report = service.SavedReport(id=0, **{k: v for k, v in clean.items() if k != "role_ids"})
    return service.run_saved(get_session(), report, _user()), {}


def _show_errors(form: Any, errors: dict[str, list[str]]) -> None:
    names = {"dimensions.0": "dimension", "dimensions.1": "dimension2",
             "dimensions": "dimension", "filters.date_from": "date_from",
             "filters.date_to": "date_to"}
    for key, messages in errors.items():
        name = names.get(key) or (f"filter_{key[8:]}" if key.startswith("filters.") else key)
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), *messages]
        else:
            form.form_errors.extend(messages)


def _submit(report: Any = None) -> Any:
    """Preview (the default: a changed source redraws the form) or save the builder."""
    session = get_session()
    form = report_form(session, user_sources(session, _user()), request.form.get("source"),
                       request.form, may_share=_may_share())
    preview, errors = _preview(form)
    if request.form.get("action") != "save":
        if errors and request.form.get("action") == "preview":
            _show_errors(form, errors)
        return _builder(form, report, preview)
    if not form.validate():
        return _builder(form, report, preview, 422)
    try:
        if report is None:
            saved = service.create_report(session, _user(), form.report_data())
        else:
            saved = service.update_report(session, report.id, _user(), form.report_data())
    except ValidationError as error:
        _show_errors(form, error.normalized_messages())
        return _builder(form, report, preview, 422)
    session.commit()
    flash(_("Report “%(title)s” saved.", title=saved.title), "success")
    return redirect(url_for(".show", report_id=saved.id))


@bp.route("/analytics/reports/new", methods=("GET", "POST"))
@require_permission(VIEW)
@own_data
def new() -> Any:
    """The report builder: a new report."""
    if request.method == "POST":
        return _submit()
    form = report_form(get_session(), user_sources(get_session(), _user()),
                       request.args.get("source"), may_share=_may_share())
    return _builder(form)


@bp.route("/analytics/reports/<int:report_id>/edit", methods=("GET", "POST"))
@require_permission(VIEW)
@own_data
def edit(report_id: int) -> Any:
    """The report builder on one of my reports."""
    session = get_session()
    report = service.own_report(session, report_id, _user())
    if request.method == "POST":
        return _submit(report)
    from .forms import form_data

    form = report_form(session, user_sources(session, _user()), report.source,
                       data=form_data(report, service.report_roles(session, report)),
                       may_share=_may_share())
    return _builder(form, report, service.run_report(session, report.id, _user()))


def _dates() -> dict[str, str | None]:
    import datetime as dt

    dates: dict[str, str | None] = {}
    for key in ("date_from", "date_to"):
        value = request.args.get(key, "")
        try:
            dates[key] = dt.date.fromisoformat(value).isoformat() if value else None
        except ValueError:
            dates[key] = None
            flash(_("Enter days as YYYY-MM-DD."), "error")
    return dates


@bp.get("/analytics/reports/<int:report_id>")
@require_permission(VIEW)
def show(report_id: int) -> str:
    """One saved report: its chart and pivot table for its period (or the dates asked)."""
    session = get_session()
    answer = service.run_report(session, report_id, _user(), **_dates())
    report = service.get_report(session, report_id, _user())
    table = pivot(answer) if not answer["notice"] else None
    return render_template("analytics/reports/show.html", report=report, answer=answer,
                           table=table, chart=chart_data(answer, table) if table else None,
                           dashboards=_dashboards(), may_edit=report.owner_id == current_user.id,
                           as_of=utcnow())


@bp.get("/analytics/reports/<int:report_id>/export")
@require_permission(VIEW)
def export(report_id: int) -> Response:
    """The report's pivot table as CSV (UTF-8 with BOM, the default) or XLSX
    (``?format=xlsx``)."""
    fmt = request.args.get("format", "csv")
    if fmt not in ("xlsx", "csv"):
        abort(404)
    answer = service.run_report(get_session(), report_id, _user(), **_dates())
    name = f"report-{report_id}.{fmt}"
    if fmt == "xlsx":
        content, mimetype = workbook([answer]), XLSX
    else:
        content, mimetype = _csv(answer), "text/csv"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(answer: dict[str, Any]) -> bytes:
    from crm_core.toolkit import neutralise_row

    out = io.StringIO()
    writer = csv.writer(out)
    if answer["notice"]:
        writer.writerow([answer["notice"]])
    else:
        table = pivot(answer)
        writer.writerow(["", *table["columns"], *([_("Total")] if len(answer["dimensions"]) > 1
                                                  else [])])
        for row in table["rows"]:
            cells = [cell or "" for cell in row["cells"]]
            writer.writerow(neutralise_row([row["label"], *cells, *(
                [row["total"] or ""] if len(answer["dimensions"]) > 1 else [])]))
        if table["total"] is not None:
            writer.writerow([_("Total"), *(t or "" for t in table["totals"]), *(
                [table["total"]] if len(answer["dimensions"]) > 1 else [])])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@bp.post("/analytics/reports/<int:report_id>/duplicate")
@require_permission(VIEW)
@own_data
def duplicate(report_id: int) -> Any:
    """A private copy of a report I may see."""
    session = get_session()
    copy = service.duplicate_report(session, report_id, _user())
    session.commit()
    flash(_("Report copied: “%(title)s”.", title=copy.title), "success")
    return redirect(url_for(".edit", report_id=copy.id))


@bp.post("/analytics/reports/<int:report_id>/delete")
@require_permission(VIEW)
@own_data
def delete(report_id: int) -> Any:
    """Delete one of my reports (after the page asked to confirm)."""
    session = get_session()
    service.delete_report(session, report_id, _user())
    session.commit()
    flash(_("Report deleted."), "success")
    return redirect(url_for(".index"))


@bp.post("/analytics/reports/<int:report_id>/dashboard")
@require_permission(VIEW)
@own_data
def to_dashboard(report_id: int) -> Any:
    """Add a report I may see as a tile of one of my dashboards."""
    session = get_session()
    service.get_report(session, report_id, _user())
    try:
        from ..dashboards import service as dashboards
    except ImportError:  # pragma: no cover - the dashboards part is optional
        abort(404)
    try:
        dashboard_id = int(request.form.get("dashboard_id", ""))
    except ValueError:
        abort(404)
    try:
        dashboards.add_tile(session, dashboard_id=dashboard_id, kind="report",
                            ref=str(report_id), user=_user())
    except DomainError as error:
        if getattr(error, "status", 422) == 404:
            raise
        flash(str(error), "error")
        return redirect(url_for(".show", report_id=report_id))
    session.commit()
    flash(_("Added to the dashboard."), "success")
    return redirect(url_for(".show", report_id=report_id))
