"""Tables in and out: safe streaming readers of CSV and XLSX, and formula-safe writers.

``open_table(path, filename)`` reads an uploaded CSV (encoding detected) or XLSX (first sheet)
under ``Limits`` (rows, columns, cell length, unpacked size, shared strings), a row at a
time, and raises ``TabularError`` with a message for the user when the file is not a table
or passes a limit. Read uploads in a background job, never in a web request. ``CsvWriter``,
``XlsxWriter`` and ``open_writer`` write files no spreadsheet runs as formulas
(``neutralise``). Nothing here knows about any plugin's records.
"""

from __future__ import annotations

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
from .xlsx import XlsxRows

__all__ = ["FORMATS", "SETTINGS", "CsvWriter", "Limits", "Row", "Table", "TableWriter",
           "TabularError", "XlsxWriter", "cell_text", "detect_encoding", "file_kind",
           "neutralise", "neutralise_row", "open_table", "open_writer", "unneutralise",
           "unneutralise_row"]


class Table:
    """An open CSV or XLSX file: ``headers`` (its header row) and ``rows()``.

    The header row is the first non-blank row, unless that row is a title: files exported
    from other systems often begin with one or two rows naming the report or its date
    ("客户列表", "导出时间: 2026-12-01"), one cell each, above the real header. A leading
    row filling at most ``TITLE_CELLS`` cells, under which a row within the first
    ``LOOK_AHEAD`` non-blank rows fills more than twice as many, is such a title and left
    out (``skipped`` counts them; ``header_number`` is the header's row). Blank rows are
    left out, trailing empty header cells dropped, and every data row is padded or cut to
    the header's width. Use as a context manager; ``progress()`` says how far ``rows()``
    has read, 0 to 1.
    """

    TITLE_CELLS = 2
    LOOK_AHEAD = 10

    def __init__(self, path: str | Path, kind: str, encoding: str = "",
                 limits: Limits | None = None) -> None:
        self.path, self.kind = Path(path), kind
        self.limits = limits or Limits.from_config()
        self.encoding = encoding or (detect_encoding(path) if kind == "csv" else "")
        self._source: CsvRows | XlsxRows = (
            CsvRows(path, self.encoding, self.limits) if kind == "csv"
            else XlsxRows(path, self.limits))
        self._ahead: list[tuple[int, list[str]]] = []  # rows read to find the header
        self.skipped = 0
        try:
            self._raw = iter(self._source)
            self.header_number, self.headers = self._read_header()
        except BaseException:
            self._source.close()
            raise

    def _read_header(self) -> tuple[int, list[str]]:
        for number, cells in self._raw:
            if any(cells):
                self._ahead.append((number, cells))
                if len(self._ahead) >= self.LOOK_AHEAD:
                    break
        if not self._ahead:
            raise TabularError(_("The file is empty: it has no header row and no data."))
        filled = [sum(1 for cell in cells if cell) for _number, cells in self._ahead]
        at = 0
        while at < len(filled) - 1 and filled[at] <= self.TITLE_CELLS \
                and max(filled[at + 1:]) > 2 * filled[at]:
            at += 1
        number, cells = self._ahead[at]
        self.skipped, self._ahead = at, self._ahead[at + 1:]
        while cells and not cells[-1]:
            cells.pop()
        return number, cells

    def rows(self) -> Iterator[Row]:
        """The data rows after the header; blank rows are left out, cells fit the header."""
        width, count = len(self.headers), 0
        ahead, self._ahead = self._ahead, []
        for number, cells in chain(ahead, self._raw):
            if not any(cells):
                continue
            count += 1
            if count > self.limits.max_rows:
                raise too_many_rows(self.limits.max_rows)
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield Row(number, cells[:width])

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
               limits: Limits | None = None) -> Table:
    """Open the CSV or XLSX file at ``path`` (its kind from ``filename`` or its first bytes)
    and read its header row; TabularError when it is empty, of another kind, or over a limit.
    """
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise TabularError(_("The file is empty: it has no header row and no data."))
    return Table(path, file_kind(filename or Path(path).name, head), encoding, limits)
