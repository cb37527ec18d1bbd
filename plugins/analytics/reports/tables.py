"""A run report's figures as a pivot table (one dimension: a list; two: rows × columns with
totals), as chart series, and as an XLSX workbook (one sheet per report, numbers as
numbers, text never a formula)."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook

NONE = "—"
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _label(row: dict[str, Any], name: str) -> str:
    label = row.get(f"{name}_label")
    if label is None:
        label = row.get(name)
    return str(label) if label is not None else _("(none)")


def _add(total: Decimal | None, value: str | None) -> Decimal | None:
    if value is None:
        return total
    return (total or Decimal(0)) + Decimal(value)


def pivot(answer: dict[str, Any]) -> dict[str, Any]:
    """``{"columns": [label...], "rows": [{"label", "cells": [value|None], "total"}],
    "totals": [...], "total"}`` of a run report. Totals are sums, so an average has none
    (``None``): the mean of means would be a wrong figure."""
    dimensions, rows = answer["dimensions"], answer["rows"]
    summable = answer.get("kind") != "avg"
    if not dimensions:
        return {"columns": [], "rows": [], "totals": [], "total": None}
    first = dimensions[0]
    if len(dimensions) == 1:
        table = [{"label": _label(row, first), "key": row.get(first), "cells": [row["value"]],
                  "total": row["value"]} for row in rows]
        total = None
        if summable:
            for row in rows:
                total = _add(total, row["value"])
        return {"columns": [answer.get("measure_label", "")], "rows": table,
                "totals": [str(total) if total is not None else None],
                "total": str(total) if total is not None else None}
    second = dimensions[1]
    columns: dict[Any, str] = {}
    lines: dict[Any, dict[str, Any]] = {}
    for row in rows:
        columns.setdefault(row.get(second), _label(row, second))
        line = lines.setdefault(row.get(first), {"label": _label(row, first),
                                                 "key": row.get(first), "values": {}})
        line["values"][row.get(second)] = row["value"]
    keys = list(columns)
    table, totals, grand = [], [None] * len(keys), None
    for line in lines.values():
        cells = [line["values"].get(key) for key in keys]
        row_total = None
        if summable:
            for index, value in enumerate(cells):
                row_total = _add(row_total, value)
                totals[index] = _add(totals[index], value)
            grand = _add(grand, str(row_total) if row_total is not None else None)
        table.append({"label": line["label"], "key": line["key"], "cells": cells,
                      "total": str(row_total) if row_total is not None else None})
    return {"columns": [columns[key] for key in keys], "rows": table,
            "totals": [str(total) if total is not None else None for total in totals],
            "total": str(grand) if grand is not None else None}


def chart_data(answer: dict[str, Any], table: dict[str, Any]) -> dict[str, Any]:
    """What the page's chart script draws: categories (the first dimension's labels) and one
    series per column of the pivot table (the second dimension's values, or the measure)."""
    return {"kind": answer["chart"], "categories": [row["label"] for row in table["rows"]],
            "series": [{"name": name, "values": [row["cells"][index] for row in table["rows"]]}
                       for index, name in enumerate(table["columns"])],
            "png": _("Save as PNG")}


def _sheet_title(title: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub(" ", title)[:28].strip() or "Report"
    name, number = base, 1
    while name in used:
        number += 1
        name = f"{base[:25]} ({number})"
    used.add(name)
    return name


def _cell(sheet: Any, row: int, column: int, value: Any, number: bool = False) -> None:
    if value is None:
        return
    if number:
        sheet.cell(row=row, column=column, value=Decimal(value))
        sheet.cell(row=row, column=column).number_format = "#,##0.00" \
            if "." in str(value) else "#,##0"
        return
    cell = sheet.cell(row=row, column=column, value=str(value))
    cell.data_type = "s"  # a label starting with "=" stays text, never a formula


def workbook(answers: list[dict[str, Any]]) -> bytes:
    """An XLSX workbook with one sheet per run report: a caption (title, period, as of,
    notice), then its pivot table with totals."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for answer in answers:
        sheet = book.create_sheet(_sheet_title(answer["title"], used))
        filters = answer.get("filters") or {}
        _cell(sheet, 1, 1, answer["title"])
        _cell(sheet, 2, 1, _("From %(start)s to %(end)s",
                             start=filters.get("date_from") or NONE,
                             end=filters.get("date_to") or NONE))
        _cell(sheet, 3, 1, _("As of %(time)s", time=answer["as_of"]))
        if answer.get("notice"):
            _cell(sheet, 4, 1, answer["notice"])
            continue
        table = pivot(answer)
        labels = answer.get("dimension_labels") or {}
        names = [labels.get(name, name) for name in answer["dimensions"]]
        head = " / ".join(names) if names else ""
        start = 5
        _cell(sheet, start, 1, head)
        two = len(answer["dimensions"]) == 2
        for index, column in enumerate(table["columns"], start=2):
            _cell(sheet, start, index, column)
        if two:
            _cell(sheet, start, len(table["columns"]) + 2, _("Total"))
        for offset, row in enumerate(table["rows"], start=start + 1):
            _cell(sheet, offset, 1, row["label"])
            for index, value in enumerate(row["cells"], start=2):
                _cell(sheet, offset, index, value, number=True)
            if two:
                _cell(sheet, offset, len(row["cells"]) + 2, row["total"], number=True)
        last = start + len(table["rows"]) + 1
        if table["total"] is not None:
            _cell(sheet, last, 1, _("Total"))
            for index, value in enumerate(table["totals"], start=2):
                _cell(sheet, last, index, value, number=True)
            if two:
                _cell(sheet, last, len(table["totals"]) + 2, table["total"], number=True)
        sheet.column_dimensions["A"].width = 28
    if not book.worksheets:
        book.create_sheet("Report")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
