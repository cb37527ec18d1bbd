"""What a tile shows: kernel report widgets (those a user may see) and saved reports, turned
into the JSON the kernel's dashboard script draws (``{"kind", "data", "caption", "as_of"}``).

A report tile runs the saved report as the reader (their data scope applies) through the
reports part's ``run_report``; a report that is gone, or whose source plugin is disabled,
answers a clear notice instead of failing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from crm_core.toolkit import as_of_text, moment_of, utcnow


def all_widgets() -> dict[str, Any]:
    """Every registered kernel report widget by id."""
    return {widget_id: entry[1]
            for widget_id, entry in current_app.extensions["crm"].widgets.items()}


def widget_for(widget_id: str) -> Any:
    """The kernel report widget ``widget_id``, or None."""
    entry = current_app.extensions["crm"].widgets.get(widget_id)
    return entry[1] if entry is not None else None


def widget_visible(widget_id: str, user: Any) -> bool:
    """Whether ``user`` may see the widget (it exists and they hold its permission)."""
    widget = widget_for(widget_id)
    return widget is not None and (widget.permission is None
                                   or user.has_permission(widget.permission))


def visible_widgets(user: Any) -> list[Any]:
    """The kernel report widgets ``user`` may see, in the home dashboard's order."""
    found = [widget for widget in all_widgets().values()
             if widget.permission is None or user.has_permission(widget.permission)]
    found.sort(key=lambda widget: (widget.order, str(widget.title)))
    return found


def filters_by_date(widget: Any) -> bool:
    """Whether the widget can be limited to a date range (the kernel's ``date_range``)."""
    return bool(getattr(widget, "date_range", False))


def as_of_caption(value: Any) -> str | None:
    """"as of 09:20" (today in the reader's zone) or "as of 2026-12-03 09:20", as the kernel
    captions its widgets; None for no time."""
    return as_of_text(value)


def _text(value: Any) -> str:
    """A label in the reader's language: a lazy string, or a plain msgid (``N_``)."""
    return _(value) if isinstance(value, str) and value else str(value or "")


def widget_tile(widget: Any, *, date_from: dt.date | None,
                date_to: dt.date | None) -> dict[str, Any]:
    """A kernel widget drawn as a tile, as the kernel's widget API answers it but always
    with an "as of" caption: the widget's own ``as_of`` if it says one, else now (its
    figures are computed when asked), after its fixed caption ("Last 12 months · as of
    09:20"). A widget that can be limited to dates (``date_range``) gets the dates."""
    dated = filters_by_date(widget) and (date_from is not None or date_to is not None)
    data = widget.data(date_from=date_from, date_to=date_to) if dated else widget.data()
    given = None
    as_of = utcnow()
    if isinstance(data, dict) and ("as_of" in data or "caption" in data):
        data = dict(data)
        as_of = moment_of(data.pop("as_of", None)) or as_of
        given = data.pop("caption", None)
    fixed = _text(given or getattr(widget, "caption", None))
    moment = as_of_caption(as_of)
    return {"id": widget.id, "kind": widget.kind, "data": data,
            "caption": f"{fixed} · {moment}" if fixed else moment,
            "as_of": as_of.astimezone(dt.UTC).isoformat(), "notice": None,
            "date_filtered": dated}


def _notice(text: str) -> dict[str, Any]:
    return {"kind": "list", "data": {"items": [], "empty": text}, "caption": None,
            "as_of": None, "notice": text}


def report_titles(session: Any, user: Any) -> dict[int, str]:
    """The saved reports ``user`` may see: ``{id: title}`` (empty without the reports part)."""
    try:
        from ..reports.service import visible_reports
    except ImportError:  # the reports part is not there
        return {}
    return {report.id: report.title for report in visible_reports(session, user)}


def report_title(session: Any, report_id: int, user: Any) -> str | None:
    """The title of the saved report if ``user`` may see it, else None."""
    from ..reports.service import ReportNotFound, get_report

    try:
        return get_report(session, report_id, user).title
    except ReportNotFound:
        return None


def report_tile(session: Any, report_id: int, user: Any, *, date_from: str | None,
                date_to: str | None) -> dict[str, Any]:
    """A saved report drawn as a tile: its chart's data with an "as of" caption, or a
    notice when the report is gone (or not the reader's to see) or its source is disabled."""
    from ..reports.service import ReportNotFound, run_report

    try:
        answer = run_report(session, report_id, user, date_from=date_from, date_to=date_to)
    except ReportNotFound:
        return _notice(_("This saved report was deleted or is no longer shared with you: "
                         "remove the tile or pick another report."))
    if answer.get("notice"):
        return _notice(str(answer["notice"]))
    kind, data = chart_of(answer)
    return {"kind": kind, "data": data, "caption": as_of_caption(answer.get("as_of")),
            "as_of": answer.get("as_of"), "notice": None, "date_filtered": True}


def _number(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0


def chart_of(answer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The kernel dashboard's chart data of a report's rows: no dimension a number, one a
    bar/line/pie, two a bar/line per value of the second, a table a list of label and value."""
    rows, dimensions = answer.get("rows") or [], list(answer.get("dimensions") or [])
    chart = answer.get("chart") or "bar"
    if not dimensions:
        total = rows[0].get("value") if rows else None
        return "number", {"value": total, "label": str(answer.get("measure_label") or "")}
    first = dimensions[0]
    if chart == "table" or (chart == "pie" and len(dimensions) > 1):
        items = [{"title": " · ".join(str(row.get(name) or "—") for name in dimensions),
                  "badge": str(row.get("value"))} for row in rows]
        return "list", {"items": items}
    labels: list[str] = []
    for row in rows:
        label = str(row.get(first) or "—")
        if label not in labels:
            labels.append(label)
    if len(dimensions) == 1:
        values = {str(row.get(first) or "—"): _number(row.get("value")) for row in rows}
        return chart, {"labels": labels, "values": [values[label] for label in labels]}
    second = dimensions[1]
    series: dict[str, dict[str, float]] = {}
    for row in rows:
        series.setdefault(str(row.get(second) or "—"), {})[str(row.get(first) or "—")] = \
            _number(row.get("value"))
    return chart, {"labels": labels, "series": [
        {"name": name, "values": [values.get(label, 0) for label in labels]}
        for name, values in series.items()]}
