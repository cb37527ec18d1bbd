"""One sheet of a legacy Excel 97-2003 workbook (.xls), read with python-calamine.

Older systems (and many Chinese ERP and OA exports) still write .xls. The format holds at most
65,536 rows of 256 columns a sheet, so a sheet is read whole; the file's size is checked
before it is opened (``MAX_XLS_MB``: a real .xls of the most rows is far smaller) and the
rows, columns and cells pass the same limits as the other readers. Calamine parses the
BIFF records in Rust; a file it cannot read, or one protected with a password, is refused
with a message saying what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from .base import (
    TabularError,
    cell_text,
    cell_too_long,
    choose_sheet,
    grouped,
    too_many_columns,
    too_many_rows,
)
from .limits import Limits

MAX_XLS_MB = 64


def _unreadable(detail: object) -> TabularError:
    return TabularError(_("This file is not an Excel 97-2003 workbook we can read (%(error)s). "
                          "Save it again as .xlsx or CSV.", error=detail))


class XlsRows:
    """The rows of one sheet of an .xls as ``(number, cells)``: the sheet named ``sheet``,
    else the first visible one. ``sheets`` names the visible worksheets, ``sheet`` the one
    read."""

    def __init__(self, path: str | Path, limits: Limits, sheet: str = "") -> None:
        self.limits = limits
        if Path(path).stat().st_size > MAX_XLS_MB << 20:
            raise TabularError(_("This Excel 97-2003 workbook is larger than %(max)s MB. Save "
                                 "it as .xlsx or CSV, or split it.", max=grouped(MAX_XLS_MB)))
        try:
            self._book = CalamineWorkbook.from_path(str(path))
        except PasswordError:
            raise TabularError(_("This workbook is protected with a password. Remove the "
                                 "password in Excel, save it and upload it again.")) from None
        except (CalamineError, OSError, ValueError) as exc:
            raise _unreadable(type(exc).__name__) from None
        try:
            self.sheets = [meta.name for meta in self._book.sheets_metadata
                           if meta.visible == SheetVisibleEnum.Visible
                           and meta.typ == SheetTypeEnum.WorkSheet]
            self.sheet = choose_sheet(self.sheets, sheet)
        except BaseException:
            self._book.close()
            raise
        self._done = 0.0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if not self.sheet:
            return
        limits = self.limits
        try:
            rows = self._book.get_sheet_by_name(self.sheet).to_python(skip_empty_area=False)
        except (CalamineError, ValueError) as exc:
            raise _unreadable(type(exc).__name__) from None
        total = max(len(rows), 1)
        for index, values in enumerate(rows):
            number = index + 1
            if number > limits.max_physical_rows:
                raise too_many_rows(limits.max_rows)
            cells = [cell_text(value).replace("\x00", "") for value in values]
            while cells and not cells[-1]:
                cells.pop()
            if len(cells) > limits.max_columns:
                raise too_many_columns(number, limits.max_columns)
            if any(len(cell) > limits.max_cell_chars for cell in cells):
                raise cell_too_long(number, limits.max_cell_chars)
            self._done = number / total
            yield number, cells

    def progress(self) -> float:
        """How much of the sheet has been read, from 0 to 1."""
        return self._done

    def close(self) -> None:
        """Close the workbook."""
        self._book.close()

    def __enter__(self) -> XlsRows:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()
