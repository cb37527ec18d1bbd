"""File writers of the customer export: CSV (UTF-8 with BOM) and XLSX (streamed).

Both take a header row, then batches of rows of text, so an export of any size runs in
constant memory. Text cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) get a leading ``'``; a plain number such as
``-12.50`` is left as it is, since no spreadsheet runs it.

The XLSX writer streams the sheet's XML straight into the zip with inline strings.
openpyxl's write-only mode costs ~20 µs a cell in Python and keeps every distinct string in
a shared-strings table until it saves (memory grows with the file); writing the few XML
parts ourselves is ten times faster and flat. Readers (Excel, WPS, LibreOffice, openpyxl)
accept inline strings.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from xml.sax.saxutils import escape, quoteattr

import phonenumbers

__all__ = ["FORMATS", "ExportWriter", "neutralise", "open_writer", "readable_phone"]

FORMATS = ("csv", "xlsx")
_FORMULA_START = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
# Characters XML 1.0 refuses: C0 controls except tab, LF and CR.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Chinese area codes with two digits after the trunk 0: Beijing (10) and 2x; the rest have 3.
_TWO_DIGIT_AREAS = ("10", "2")
# Rows are checked whole, joined by a private-use character: a few regex calls a row find the
# rare row that needs care cell by cell (a stray U+E000 in a cell only costs that slow path).
# Each pattern starts with a literal or a character set, which the regex engine scans for fast.
_SEP = "\ue000"
_FORMULA_CELL = re.compile("\ue000[=+\\-@\t\r]")
_XML_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_EDGE = re.compile(r"\ue000[=+\-@\s]")  # a formula starter or a leading space
_XML_TRAILING_SPACE = re.compile(r"\s\ue000")


def _csv_care(row: Sequence[str]) -> bool:
    """Whether a cell of ``row`` may need neutralising (false alarms only cost time)."""
    return _FORMULA_CELL.search(_SEP + _SEP.join(row)) is not None


def _xml_care(row: Sequence[str]) -> bool:
    """Whether a cell of ``row`` needs escaping, neutralising or its spaces kept."""
    joined = _SEP + _SEP.join(row) + _SEP
    return bool(_XML_SPECIAL.search(joined) or _XML_EDGE.search(joined)
                or _XML_TRAILING_SPACE.search(joined))


def neutralise(value: str) -> str:
    """``value`` made safe for a spreadsheet cell: a leading ``'`` before formula starters."""
    if value[:1] in _FORMULA_START and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def readable_phone(e164: str) -> str:
    """An E.164 number (``;ext=`` for an extension) as people write it.

    Chinese numbers in the national form (``138 1234 5678``, ``010 1234 5678 转 89``),
    others in the international form (``+1 650-253-0000``).
    """
    if len(e164) == 14 and e164[3] == "1" and e164.startswith("+86"):  # a mobile, fast
        return f"{e164[3:6]} {e164[6:10]} {e164[10:]}"
    if e164.startswith("+86"):
        number, _sep, extension = e164.partition(";ext=")
        digits = number[3:]
        if len(digits) == 11 and digits[0] == "1":
            text = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        else:
            area = 2 if digits.startswith(_TWO_DIGIT_AREAS) else 3
            local = digits[area:]
            text = f"0{digits[:area]} {local[:-4]} {local[-4:]}" if len(local) > 4 else \
                f"0{digits}"
        return f"{text} 转 {extension}" if extension else text
    return _international(e164)


@lru_cache(maxsize=4096)
def _international(e164: str) -> str:
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class ExportWriter(Protocol):
    """What the export job writes through: a header, batches of rows, then close."""

    def write(self, row: Sequence[str]) -> None:
        """Write one row of text cells (the header)."""

    def write_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Write a batch of rows of text cells ("" for an empty cell)."""

    def close(self) -> None:
        """Finish the file."""


class CsvWriter:
    """CSV in UTF-8 with a BOM, so Excel on a Chinese Windows shows Chinese correctly."""

    def __init__(self, path: Path) -> None:
        # plain UTF-8 plus a BOM written once: the utf-8-sig codec is a slow path per write
        self._file = path.open("w", newline="", encoding="utf-8")
        self._file.write("\ufeff")

    def write(self, row: Sequence[str]) -> None:
        """Write one row."""
        self.write_rows([row])

    def write_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Write a batch of rows, formula starters neutralised, in one write to the file."""
        buffer = io.StringIO()
        csv.writer(buffer).writerows(
            [[neutralise(cell) for cell in row] if _csv_care(row) else row
             for row in rows])
        self._file.write(buffer.getvalue())

    def close(self) -> None:
        """Flush and close the file."""
        self._file.close()


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_DOC_RELS}/styles" Target="styles.xml"/>'
        '</Relationships>'),
    # style 1: "#,##0.00" (built-in format 4) for amounts; style 2: the bold header
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="3">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        '</cellStyles></styleSheet>'),
}
_SHEET_START = (f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '</sheetView></sheetViews><sheetData>')
_SHEET_END = "</sheetData></worksheet>"
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _careful_text(value: str) -> str:
    """The rest of an inline-string cell (after ``<c r="A1"``) holding ``value``, made safe."""
    value = escape(neutralise(_ILLEGAL_XML.sub("", value)))
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{value}</t></is></c>'


class XlsxWriter:
    """An XLSX workbook of one sheet, its XML streamed into the zip row by row.

    ``number_columns`` are the indexes of columns whose cells are decimal numbers written as
    text (``"-12.50"``); they are stored as numbers with two decimals. Every other cell is a
    text cell, never a formula.
    """

    def __init__(self, path: Path, sheet_title: str = "Customers",
                 number_columns: Sequence[int] = ()) -> None:
        # level 1: the sheet is very repetitive XML, so it still shrinks ~8x, at ~3x the speed
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED,
                                    compresslevel=1)
        title = _BAD_TITLE.sub(" ", sheet_title)[:31].strip() or "Sheet1"
        parts = {**_PARTS, "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
            f'<sheet name={quoteattr(title)} sheetId="1" r:id="rId1"/></sheets></workbook>')}
        for name, text in parts.items():
            self._zip.writestr(name, _HEAD + text)
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._sheet.write(_SHEET_START.encode())
        self._numbers = frozenset(number_columns)
        self._row = 0

    def _refs(self, width: int) -> list[tuple[str, bool]]:
        """``('<c r="B', is a number column)`` of each column: the cell tag up to its row."""
        return [(f'<c r="{_column_letter(i)}', i in self._numbers) for i in range(width)]

    def _careful(self, row: Sequence[str], number: str, style: str = "") -> str:
        cells = []
        for (ref, is_number), value in zip(self._refs(len(row)), row, strict=True):
            if not value:
                continue
            if is_number and _NUMBER.fullmatch(value):
                cells.append(f'{ref}{number}" s="1"><v>{value}</v></c>')
            else:
                cells.append(f'{ref}{number}"{style}{_careful_text(value)}')
        return "".join(cells)

    def write(self, row: Sequence[str]) -> None:
        """Write one row in bold (the header)."""
        self._row += 1
        number = str(self._row)
        cells = self._careful(row, number, ' s="2"')
        self._sheet.write(f'<row r="{number}">{cells}</row>'.encode())

    def write_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Write a batch of rows: text kept text (never a formula), amounts as numbers."""
        if not rows:
            return
        refs = self._refs(len(rows[0]))
        parts: list[str] = []
        for index, row in enumerate(rows, 1):
            if index % 1000 == 0:  # a batch's whole XML at once would cost ~30 MB of memory
                self._sheet.write("".join(parts).encode())
                parts = []
            self._row += 1
            number = str(self._row)
            if _xml_care(row):
                parts.append(f'<row r="{number}">{self._careful(row, number)}</row>')
                continue
            parts.append(f'<row r="{number}">')
            parts.extend([
                f'{ref}{number}" s="1"><v>{value}</v></c>' if is_number else
                f'{ref}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
                for (ref, is_number), value in zip(refs, row, strict=True) if value])
            parts.append("</row>")
        self._sheet.write("".join(parts).encode())

    def close(self) -> None:
        """Finish the sheet and the zip."""
        self._sheet.write(_SHEET_END.encode())
        self._sheet.close()
        self._zip.close()


def open_writer(fmt: str, path: Path, sheet_title: str = "Customers",
                number_columns: Sequence[int] = ()) -> ExportWriter:
    """A writer of format ``fmt`` ("csv" or "xlsx") into ``path``; ``number_columns`` are
    the indexes of decimal-number columns (typed as numbers in XLSX, plain text in CSV)."""
    if fmt == "csv":
        return CsvWriter(path)
    if fmt == "xlsx":
        return XlsxWriter(path, sheet_title, number_columns)
    raise ValueError(f"unknown export format {fmt!r}")
