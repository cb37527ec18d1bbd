"""Tables in and out: safe streaming readers of CSV and XLSX, and formula-safe writers.

``open_table(path, filename)`` reads an uploaded CSV (encoding detected), XLSX or XLS (a
sheet) under ``Limits`` (rows, columns, cell length, unpacked size, shared strings), a row at a
time, and raises ``TabularError`` with a message for the user when the file is not a table
or passes a limit. Read uploads in a background job, never in a web request. ``CsvWriter``,
``XlsxWriter`` and ``open_writer`` write files no spreadsheet runs as formulas
(``neutralise``). Nothing here knows about any plugin's records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from .base import Row, TabularError, cell_text, file_kind, too_many_rows
from .limits import SETTINGS, Limits
from .text import CsvRows, detect_encoding
from .writers import (
    FORMATS,
    CsvWriter,
    TableWriter,
    XlsxWriter,
    neutralise,
    neutralise_row,
    open_writer,
    unneutralise,
    unneutralise_row,
)
from .xls import XlsRows
from .xlsx import XlsxRows

__all__ = ["FORMATS", "SETTINGS", "CsvWriter", "Limits", "Row", "Table", "TableWriter",
           "TabularError", "XlsxWriter", "cell_text", "detect_encoding", "file_kind",
           "neutralise", "neutralise_row", "open_table", "open_writer", "unneutralise",
           "unneutralise_row"]


# What the last rows of a report say instead of a record: "合计", "总计：184", "共 184 条记录",
# "Total", "Grand total: 184".
_TOTAL = re.compile(
    r"(?:(?:合\s*计|总\s*计|小\s*计|共\s*计|总\s*数|grand\s+total|sub-?total|totals?|sum)"
    r"\s*[:：]?|共)\s*(?:[\d,，.]+\s*(?:条|行|个|家|位|项|笔|records?|rows?|customers?)?"
    r"(?:记录|数据|客户)?)?", re.IGNORECASE)
_TOTAL_STARTS = frozenset("合总小共GgSsTt")
_MAY_NAME_TOTAL = _TOTAL_STARTS | frozenset(" \t\u3000")  # a first cell worth a closer look


def _names_total(cells: list[str], width: int) -> bool:
    """Whether a row says a total rather than holding a record: its first cell (or the
    second, after an empty row number) is such a label and it fills at most half the
    columns (a customer called "Total" fills its row)."""
    first = (cells[0] or (cells[1] if width > 1 else "")).strip()
    if not first or first[0] not in _TOTAL_STARTS or not _TOTAL.fullmatch(first):
        return False
    return 2 * sum(1 for cell in cells if cell) <= width


def _under_groups(header: list[str], groups: list[str]) -> list[str]:
    """The header row with its empty cells named by the group row above it: a two-row
    header whose first row merges each column's name down over both rows ("客户名称"
    above an empty cell) and groups the others ("联系方式" above "手机", "座机")."""
    header = header + [""] * (len(groups) - len(header))
    return [cell or (groups[index] if index < len(groups) else "")
            for index, cell in enumerate(header)]


def _upper_half(upper: list[str], lower: list[str], *below: list[str]) -> bool:
    """Whether ``upper`` and ``lower`` are one header on two rows, as merged cells leave it:
    each names columns the other leaves empty, and together they name every column the
    rows ``below`` fill. A header above a first data row has no gaps the data fills."""
    def used(cells: list[str]) -> set[int]:
        return {index for index, cell in enumerate(cells) if cell}

    top, bottom = used(upper), used(lower)
    data = set().union(*map(used, below))
    return bool(bottom - top) and bool(top - bottom) and data <= top | bottom


class Table:
    """An open CSV, XLSX or XLS file: ``headers`` (its header row) and ``rows()``.

    The header row is the first non-blank row, unless that row is a title: files exported
    from other systems often begin with one or two rows naming the report or its date
    ("客户列表", "导出时间: 2026-12-01"), one cell each, above the real header. A leading
    row filling at most ``TITLE_CELLS`` cells, under which a row within the first
    ``LOOK_AHEAD`` non-blank rows fills more than twice as many, is such a title and left
    out (``skipped`` counts them; ``header_number`` is the header's row). So is a group
    row above a two-row header ("基本信息", "联系方式" over their columns): a row under
    which the next fills more than twice as many cells, and as many as any row after it;
    the header's empty cells take the group row's names above them. A header on two rows
    (merged cells: "客户名称" down both, "联系方式" over "手机" and "座机") is read as
    one: its lower row, each gap filled from the row above. Blank rows are
    left out, trailing empty header cells dropped, and every data row is padded or cut to
    the header's width. A workbook's sheet is the one named ``sheet``, else the first
    visible one holding a cell (``sheets`` lists the visible ones, ``sheet`` is the one
    read). Use as a context manager; ``progress()`` says how far ``rows()`` has read, 0 to 1.
    """

    TITLE_CELLS = 2
    LOOK_AHEAD = 10

    def __init__(self, path: str | Path, kind: str, encoding: str = "",
                 limits: Limits | None = None, sheet: str = "") -> None:
        self.path, self.kind = Path(path), kind
        self.limits = limits or Limits.from_config()
        self.encoding = encoding or (detect_encoding(path) if kind == "csv" else "")
        self._ahead: list[tuple[int, list[str]]] = []  # rows read to find the header
        self.skipped = 0
        workbook = XlsRows if kind == "xls" else XlsxRows
        self._source: CsvRows | XlsxRows | XlsRows = (
            CsvRows(path, self.encoding, self.limits) if kind == "csv"
            else workbook(path, self.limits, sheet))
        try:
            self.sheets: list[str] = getattr(self._source, "sheets", [])
            header = self._read_header()
            while header is None and not sheet and kind != "csv" \
                    and self._source.sheet in self.sheets[:-1]:  # an empty sheet: the next
                later = self.sheets[self.sheets.index(self._source.sheet) + 1]
                self._source.close()
                self._source = workbook(path, self.limits, later)
                header = self._read_header()
            if header is None:
                raise TabularError(_("The sheet %(name)s is empty: it has no header row and "
                                     "no data.", name=sheet) if sheet else
                                   _("The file is empty: it has no header row and no data."))
            self.header_number, self.headers = header
            self.sheet: str = getattr(self._source, "sheet", "")
        except BaseException:
            self._source.close()
            raise

    def _read_header(self) -> tuple[int, list[str]] | None:
        self._raw = iter(self._source)
        for number, cells in self._raw:
            if any(cells):
                self._ahead.append((number, cells))
                if len(self._ahead) >= self.LOOK_AHEAD:
                    break
        if not self._ahead:
            return None
        filled = [sum(1 for cell in cells if cell) for _number, cells in self._ahead]
        at = 0
        while at < len(filled) - 1 and (
                filled[at] <= self.TITLE_CELLS and max(filled[at + 1:]) > 2 * filled[at]
                or filled[at + 1] > 2 * filled[at] and filled[at + 1] >= max(filled[at + 1:])):
            at += 1
        if at + 2 < len(filled) and _upper_half(*(cells for _n, cells in self._ahead[at:])):
            at += 1
        number, cells = self._ahead[at]
        if at and filled[at - 1] > 1:  # a group row: its cells name the header's gaps below
            cells = _under_groups(cells, self._ahead[at - 1][1])
        self.skipped, self._ahead = at, self._ahead[at + 1:]
        while cells and not cells[-1]:
            cells.pop()
        return number, cells

    def rows(self) -> Iterator[Row]:
        """The data rows after the header; blank rows are left out, cells fit the header.
        The last rows, when they name a total ("合计", "共 184 条"), come with ``total``
        set: they are no records."""
        width, count = len(self.headers), 0
        ahead, self._ahead = self._ahead, []
        held: list[Row] = []  # rows naming a total, until a row of data follows them
        for number, cells in chain(ahead, self._raw):
            if not any(cells):
                continue
            count += 1
            if count > self.limits.max_rows:
                raise too_many_rows(self.limits.max_rows)
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            row = Row(number, cells[:width])
            first = cells[0]
            if (not first or first[0] in _MAY_NAME_TOTAL) and _names_total(row.cells, width):
                held.append(row)
                continue
            if held:
                yield from held
                held.clear()
            yield row
        for row in held:
            yield Row(row.number, row.cells, total=True)

    def progress(self) -> float:
        """How much of the file has been read, from 0 to 1."""
        return self._source.progress()

    def close(self) -> None:
        """Close the file."""
        self._source.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()


def open_table(path: str | Path, filename: str = "", *, encoding: str = "",
               limits: Limits | None = None, sheet: str = "") -> Table:
    """Open the CSV, XLSX or XLS file at ``path`` (its kind from ``filename`` or its first bytes;
    of a workbook the sheet named ``sheet``, else the first visible one holding a cell) and
    read its header row; TabularError when it is empty, of another kind, has no such sheet,
    or is over a limit.
    """
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise TabularError(_("The file is empty: it has no header row and no data."))
    return Table(path, file_kind(filename or Path(path).name, head), encoding, limits, sheet)
