"""Reading the files users import: CSV (UTF-8 with or without BOM, GB18030/GBK) and XLSX.

Rows are streamed one at a time (``csv`` over a decoding file; openpyxl ``read_only``), so
memory stays flat at any size. Excel's habits are smoothed over here: a BOM, ``\\r\\n``,
blank rows before the header, trailing empty rows and columns, numbers stored as floats
(``13812345678.0``) and dates as datetimes. The header row is matched to customer fields
from Chinese or English names by ``guess_field``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import DomainError

__all__ = ["FIELDS", "MULTI_FIELDS", "ImportFileError", "Row", "TableFile", "detect_encoding",
           "file_kind", "guess_field", "guess_mapping", "open_table"]

# Customer fields a column can be mapped to, with their labels (the select on the page).
FIELDS: dict[str, Any] = {
    "name": _l("Name"), "code": _l("Code"), "kind": _l("Kind (company or person)"),
    "phones": _l("Phones"), "emails": _l("Emails"), "uscc": _l("Unified social credit code"),
    "customer_type": _l("Customer type (by name)"), "industry": _l("Industry"),
    "province": _l("Province"), "city": _l("City"), "country": _l("Country code"),
    "address": _l("Address"), "website": _l("Website"), "source": _l("Source"),
    "level": _l("Level"), "status": _l("Status"), "owner": _l("Owner (user name)"),
    "tags": _l("Tags (comma separated)"), "notes": _l("Notes"),
}
# Fields several columns may fill (their values are joined); the others take one column.
MULTI_FIELDS = frozenset({"phones", "emails", "tags", "notes"})

# Header spellings, compared after folding width, case, spaces and punctuation.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "客户名称", "公司名称", "客户", "企业名称", "单位名称", "姓名", "客户姓名",
             "name", "customer", "customername", "company", "companyname"),
    "code": ("编码", "客户编码", "编号", "客户编号", "代码", "code", "customercode", "no",
             "number"),
    "kind": ("类别", "客户类别", "性质", "kind"),
    "phones": ("手机", "手机号", "手机号码", "电话", "联系电话", "电话号码", "座机", "固话",
               "phone", "phones", "mobile", "tel", "telephone", "phonenumber"),
    "emails": ("邮箱", "电子邮件", "电子邮箱", "邮件", "email", "emails", "mail", "e-mail"),
    "uscc": ("统一社会信用代码", "信用代码", "社会信用代码", "uscc", "creditcode"),
    "customer_type": ("类型", "客户类型", "type", "customertype"),
    "industry": ("行业", "所属行业", "industry"),
    "province": ("省份", "省", "省份地区", "province", "state"),
    "city": ("城市", "市", "city"),
    "country": ("国家", "国家地区", "country"),
    "address": ("地址", "详细地址", "联系地址", "公司地址", "address"),
    "website": ("网址", "网站", "主页", "官网", "website", "url", "homepage", "web"),
    "source": ("来源", "客户来源", "source"),
    "level": ("级别", "客户级别", "等级", "level", "grade"),
    "status": ("状态", "客户状态", "status"),
    "owner": ("负责人", "销售", "业务员", "所有人", "owner", "salesrep"),
    "tags": ("标签", "tags", "tag", "labels"),
    "notes": ("备注", "说明", "notes", "note", "remark", "remarks", "comment", "comments"),
}
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _fold(text: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


_LOOKUP = {_fold(spelling): field for field, spellings in _SYNONYMS.items()
           for spelling in spellings}


def guess_field(header: str) -> str:
    """The customer field a column header names ("客户名称" gives "name"), or ""."""
    return _LOOKUP.get(_fold(header or ""), "")


def guess_mapping(headers: list[str], saved: dict[str, str] | None = None) -> list[str]:
    """One field per column: a saved template's choice for the header, else the guess.

    A single-value field guessed for two columns keeps the first one only.
    """
    fields: list[str] = []
    used: set[str] = set()
    for header in headers:
        field = (saved or {}).get(header, guess_field(header))
        if field not in FIELDS or (field in used and field not in MULTI_FIELDS):
            field = ""
        used.add(field)
        fields.append(field)
    return fields


class ImportFileError(DomainError):
    """The file cannot be imported as a whole (empty, not CSV/XLSX, no header row)."""


@dataclass(frozen=True)
class Row:
    """One data row: its number as a spreadsheet shows it (1 is the first line) and cells."""

    number: int
    cells: list[str]


def file_kind(filename: str, head: bytes = b"") -> str:
    """"csv" or "xlsx" from the file name (and its first bytes); ImportFileError otherwise."""
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xlsx" or (suffix not in (".csv", ".txt") and head.startswith(b"PK\x03\x04")):
        return "xlsx"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise ImportFileError(_("Choose a CSV or XLSX file (Excel: \"Save as\" CSV or Excel "
                            "workbook); \"%(name)s\" is neither.", name=filename))


def detect_encoding(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """"utf-8-sig", "utf-8", "utf-16" or "gb18030": UTF-16 when the file starts with its BOM
    (Excel's "Unicode text"), UTF-8 if the whole file decodes strictly as UTF-8
    (read in chunks, so memory stays flat), else GB18030 (a superset of GBK, as Excel on
    Chinese Windows saves CSV)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with open(path, "rb") as handle:
        first = handle.read(chunk_size)
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"  # Excel's "Unicode text" (tab separated)
        bom = first.startswith(codecs.BOM_UTF8)
        chunk = first
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = handle.read(chunk_size)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig" if bom else "utf-8"


def cell_text(value: Any) -> str:
    """A cell as text: whole floats without ".0" (phones, USCC), dates as ISO, None as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time.min:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


class TableFile:
    """An open CSV or XLSX file: ``headers`` (the first non-blank row) and ``rows()``.

    Use as a context manager. ``progress()`` says how far ``rows()`` has read, 0 to 1.
    """

    def __init__(self, path: str | Path, kind: str, encoding: str = "") -> None:
        self.path, self.kind = Path(path), kind
        self.encoding = encoding or (detect_encoding(path) if kind == "csv" else "")
        self._handle: Any = None
        self._workbook: Any = None
        self._size = max(self.path.stat().st_size, 1)
        self._max_row = 1
        self._raw = self._open()
        self.header_number, self.headers = self._read_header()

    def _open(self) -> Iterator[tuple[int, list[str]]]:
        if self.kind == "xlsx":
            return self._open_xlsx()
        self._handle = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        text = io.TextIOWrapper(self._handle, encoding=self.encoding, newline="")
        sample = text.readline()
        text.seek(0)
        delimiter = max(",;\t", key=sample.count) if sample else ","
        reader = csv.reader(text, delimiter=delimiter)
        return ((number, [cell.strip() for cell in cells])
                for number, cells in enumerate(reader, start=1))

    def _open_xlsx(self) -> Iterator[tuple[int, list[str]]]:
        from openpyxl import load_workbook

        try:
            self._workbook = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportFileError(_("This file is not an Excel workbook we can read (%(error)s)."
                                    " Save it again as .xlsx or CSV.", error=exc)) from None
        sheet = self._workbook.worksheets[0]
        self._max_row = max(sheet.max_row or 1, 1)
        return ((number, [cell_text(value) for value in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1))

    def _read_header(self) -> tuple[int, list[str]]:
        try:
            for number, cells in self._raw:
                if any(cells):
                    while cells and not cells[-1]:
                        cells.pop()
                    return number, cells
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ImportFileError(_("This CSV file cannot be read: %(error)s.",
                                    error=exc)) from None
        raise ImportFileError(_("The file is empty: it has no header row and no customers."))

    def rows(self) -> Iterator[Row]:
        """The data rows after the header; blank rows are left out, cells fit the header."""
        width = len(self.headers)
        try:
            for number, cells in self._raw:
                self._at = number
                if not any(cells):
                    continue
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                yield Row(number, cells[:width])
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ImportFileError(_("This CSV file cannot be read after row %(row)d: "
                                    "%(error)s.", row=getattr(self, "_at", 0),
                                    error=exc)) from None

    def progress(self) -> float:
        """How much of the file has been read, from 0 to 1 (an estimate for XLSX)."""
        if self.kind == "csv" and self._handle is not None and not self._handle.closed:
            return min(self._handle.tell() / self._size, 1.0)
        return min(getattr(self, "_at", 0) / self._max_row, 1.0)

    def close(self) -> None:
        """Close the file (and the workbook)."""
        if self._handle is not None:
            self._handle.close()
        if self._workbook is not None:
            self._workbook.close()

    def __enter__(self) -> TableFile:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()


def _looks_like_data(cell: str) -> bool:
    digits = re.sub(r"[\s\-+()]", "", cell)
    return "@" in cell or (len(digits) >= 5 and digits.isdigit())


def open_table(path: str | Path, filename: str, encoding: str = "") -> TableFile:
    """Open an uploaded file for reading; ImportFileError when it is empty, of another kind,
    or starts with data instead of a header row."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise ImportFileError(_("The file is empty: it has no header row and no customers."))
    table = TableFile(path, file_kind(filename, head), encoding)
    if not any(guess_field(header) for header in table.headers) \
            and any(_looks_like_data(header) for header in table.headers):
        table.close()
        raise ImportFileError(_("The first row of the file should name the columns (such as "
                                "客户名称, 手机, 邮箱), but row %(row)d looks like a customer. "
                                "Add a header row and upload the file again.",
                                row=table.header_number))
    return table
