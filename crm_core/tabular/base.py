"""What every table reader shares: the error, a row, a cell as text, the kind of a file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from ..errors import DomainError

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of an Excel 97-2003 file


class TabularError(DomainError):
    """The file cannot be read as a table: its message says why and what to do."""


@dataclass(frozen=True)
class Row:
    """One data row: its number as a spreadsheet shows it (1 is the first line) and cells.
    ``total``: the row is one of the file's last rows and names a total ("合计", "共 184
    条"), which is no record (``Table.rows``)."""

    number: int
    cells: list[str]
    total: bool = False


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


def file_kind(filename: str, head: bytes = b"") -> str:
    """"csv", "xlsx" or "xls" (Excel 97-2003) from the file name (and its first bytes);
    TabularError otherwise."""
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xlsx" or (suffix not in (".csv", ".txt") and head.startswith(b"PK\x03\x04")):
        return "xlsx"
    if suffix == ".xls" or (suffix not in (".csv", ".txt") and head.startswith(_OLE2)):
        return "xls"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise TabularError(_("Choose a CSV or Excel file (.xlsx or .xls); \"%(name)s\" is none of "
                         "them.", name=filename))


def choose_sheet(sheets: list[str], name: str) -> str:
    """The sheet called ``name`` among a workbook's visible ``sheets`` (the first when no
    name is given, "" when there is none); TabularError naming the sheets when there is no
    sheet of that name."""
    if not name:
        return sheets[0] if sheets else ""
    if name in sheets:
        return name
    raise TabularError(_("This workbook has no sheet called %(name)s; its sheets are "
                         "%(sheets)s.", name=name, sheets=", ".join(sheets) or "-"))


def grouped(number: int) -> str:
    """A number with thousands separators, as messages show limits: ``1,000,000``."""
    return f"{number:,}"


def too_many_rows(limit: int) -> TabularError:
    """The error for a file with more than ``limit`` rows."""
    return TabularError(_("The file has more than %(max)s rows; split it into smaller files.",
                          max=grouped(limit)))


def too_many_columns(row: int, limit: int) -> TabularError:
    """The error for a row with a value past column ``limit``."""
    return TabularError(_("Row %(row)d has more than %(max)s columns; remove the extra "
                          "columns.", row=row, max=grouped(limit)))


def cell_too_long(row: int, limit: int) -> TabularError:
    """The error for a cell longer than ``limit`` characters."""
    return TabularError(_("Row %(row)d has a cell longer than %(max)s characters (the most "
                          "a spreadsheet cell holds); shorten it.", row=row, max=grouped(limit)))
