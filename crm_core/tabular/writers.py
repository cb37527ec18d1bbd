"""Writing CSV (UTF-8 with BOM) and XLSX files that no spreadsheet runs as formulas.

Both writers take a header row, then batches of rows of text, so a file of any size is written
in constant memory. Every text cell a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'`` (``neutralise``); a
plain number such as ``-12.50`` is left as it is, since no spreadsheet runs it. Readers of
such files take the ``'`` off again with ``unneutralise``, so a report can be fixed and
imported again.

XLSX is written with XlsxWriter in ``constant_memory`` mode: openpyxl's write-only mode costs
~8 µs a cell even with lxml and keeps every distinct string in memory until it saves.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import xlsxwriter

FORMATS = ("csv", "xlsx")
_FORMULA_START = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
# Characters XML 1.0 refuses: C0 controls except tab, LF and CR.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Rows are checked whole, joined by a private-use character: a few regex calls a row find the
# rare row that needs care cell by cell (a stray U+E000 in a cell only costs that slow path).
_SEP = "\ue000"
_FORMULA_CELL = re.compile("\ue000[=+\\-@\t\r]")
_NEUTRALISED_CELL = re.compile("\ue000'[=+\\-@\t\r]")


def neutralise(value: str) -> str:
    """``value`` made safe for a spreadsheet cell: a leading ``'`` before formula starters."""
    if value[:1] in _FORMULA_START and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """``value`` without the ``'`` that ``neutralise`` put before a formula starter."""
    if value[:1] == "'" and value[1:2] in _FORMULA_START and not _NUMBER.fullmatch(value[1:]):
        return value[1:]
    return value


def neutralise_row(row: Sequence[str]) -> Sequence[str]:
    """``row`` with every cell neutralised (the row itself when no cell needs it: fast)."""
    if _FORMULA_CELL.search(_SEP + _SEP.join(row)) is None:
        return row
    return [neutralise(cell) for cell in row]


def unneutralise_row(row: list[str]) -> list[str]:
    """``row`` with every cell unneutralised (the row itself when no cell needs it: fast)."""
    if _NEUTRALISED_CELL.search(_SEP + _SEP.join(row)) is None:
        return row
    return [unneutralise(cell) for cell in row]


def _xlsx_care(row: Sequence[str]) -> bool:
    """Whether a cell of ``row`` needs neutralising or holds characters XML refuses."""
    joined = _SEP + _SEP.join(row)
    return _FORMULA_CELL.search(joined) is not None or _ILLEGAL_XML.search(joined) is not None


class TableWriter(Protocol):
    """What a file writer offers: a header, batches of rows, then close."""

    def write(self, row: Sequence[str]) -> None:
        """Write one row of text cells (the header)."""

    def write_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Write a batch of rows of text cells ("" for an empty cell)."""

    def close(self) -> None:
        """Finish the file."""


class CsvWriter:
    """CSV in UTF-8 with a BOM, so Excel on a Chinese Windows shows Chinese correctly."""

    def __init__(self, path: Path, bom: bool = True) -> None:
        # plain UTF-8 plus a BOM written once: the utf-8-sig codec is a slow path per write
        # (no BOM: a part appended to another file, imports.export_parts)
        self._file = Path(path).open("w", newline="", encoding="utf-8")
        if bom:
            self._file.write("\ufeff")

    def write(self, row: Sequence[str]) -> None:
        """Write one row."""
        self.write_rows([row])

    def write_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Write a batch of rows, formula starters neutralised, in one write to the file."""
        buffer = io.StringIO()
        csv.writer(buffer).writerows([neutralise_row(row) for row in rows])
        self._file.write(buffer.getvalue())

    def close(self) -> None:
        """Flush and close the file."""
        self._file.close()

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


class XlsxWriter:
    """An XLSX workbook of one sheet, written by the XlsxWriter library in its
    ``constant_memory`` mode (each row goes to disk once the next one starts).

    ``number_columns`` are the indexes of columns whose cells are decimal numbers written as
    text (``"-12.50"``); they are stored as numbers shown with two decimals. Every other cell
    is a string cell, never a formula, a number or a link.
    """

    def __init__(self, path: Path, sheet_title: str = "Sheet1",
                 number_columns: Sequence[int] = ()) -> None:
        self._book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "tmpdir": str(Path(path).parent),
            "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False})
        title = _BAD_TITLE.sub(" ", sheet_title)[:31].strip() or "Sheet1"
        self._sheet = self._book.add_worksheet(title)
        self._sheet.freeze_panes(1, 0)
        self._money = self._book.add_format({"num_format": "#,##0.00"})
        self._bold = self._book.add_format({"bold": True})
        self._numbers = sorted(set(number_columns))
        self._row = 0

    def write(self, row: Sequence[str]) -> None:
        """Write one row in bold (the header)."""
        for column, value in enumerate(row):
            self._sheet.write_string(self._row, column, _clean_text(str(value)), self._bold)
        self._row += 1

    def write_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Write a batch of rows: text kept text (never a formula), amounts as numbers."""
        write_string, write_number = self._sheet.write_string, self._sheet.write_number
        for row in rows:
            number = self._row
            careful = _xlsx_care(row)
            for column, value in enumerate(row):
                if value:
                    write_string(number, column, _clean_text(value) if careful else value)
            for column in self._numbers:
                value = row[column]
                if value and _NUMBER.fullmatch(value):
                    write_number(number, column, float(value), self._money)
            self._row += 1

    def close(self) -> None:
        """Finish the workbook (XlsxWriter assembles the zip from its temporary files)."""
        self._book.close()

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _clean_text(value: str) -> str:
    """A cell's text without the control characters XML refuses, formulas neutralised."""
    return neutralise(_ILLEGAL_XML.sub("", value))


def open_writer(fmt: str, path: Path, sheet_title: str = "Sheet1",
                number_columns: Sequence[int] = ()) -> TableWriter:
    """A writer of format ``fmt`` ("csv" or "xlsx") into ``path``; ``number_columns`` are
    the indexes of decimal-number columns (typed as numbers in XLSX, plain text in CSV)."""
    if fmt == "csv":
        return CsvWriter(path)
    if fmt == "xlsx":
        return XlsxWriter(path, sheet_title, number_columns)
    raise ValueError(f"unknown export format {fmt!r}")
