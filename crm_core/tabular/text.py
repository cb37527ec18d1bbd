"""CSV and tab-separated text: the encoding detected over the whole file, rows streamed.

The encoding: a BOM says UTF-16 or UTF-8. Otherwise the whole file is decoded as UTF-8 in
1 MiB chunks (memory stays flat) counting the characters it decodes and the bytes it
cannot: a file that is mostly UTF-8 is UTF-8 even with a bad byte somewhere (the reader then
stops at that row), one that is mostly not is GB18030 (a superset of GBK, as Excel on Chinese
Windows saves CSV). Reading decodes incrementally with ``surrogateescape``, so a byte the
encoding cannot decode is found in the very row that holds it and named: "row 2878 is not
valid UTF-8", never a 500 and never a silently garbled file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from .base import TabularError, cell_too_long, grouped, too_many_columns, too_many_rows
from .limits import Limits

_CHUNK = 1 << 20
# Undecodable bytes come back as lone surrogates U+DC80..U+DCFF; NUL is no text either.
_BAD_TEXT = re.compile("[\x00\udc80-\udcff]")
_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "gb18030": "GB18030/GBK"}


def detect_encoding(path: str | Path) -> str:
    """"utf-16", "utf-8-sig", "utf-8" or "gb18030" for the text file at ``path``."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    decoded = invalid = 0
    with open(path, "rb") as handle:
        chunk = handle.read(_CHUNK)
        if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"  # Excel's "Unicode text" (tab separated)
        if chunk.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        while chunk:
            text = decoder.decode(chunk)
            bad = text.count("\ufffd")
            invalid += bad
            decoded += len(text) - len(text.encode("ascii", "ignore")) - bad
            chunk = handle.read(_CHUNK)
        invalid += decoder.decode(b"", final=True).count("\ufffd")
    # Each GBK character read as UTF-8 is one or two bad bytes, seldom a valid character;
    # a UTF-8 file with a damaged byte has thousands of good characters per bad one.
    if invalid == 0 or decoded >= 4 * invalid:
        return "utf-8"
    return "gb18030"


class CsvRows:
    """The rows of a CSV file as ``(number, cells)``; ``progress()`` says how far, 0 to 1."""

    def __init__(self, path: str | Path, encoding: str, limits: Limits) -> None:
        self.encoding, self.limits = encoding, limits
        self._handle = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._size = max(Path(path).stat().st_size, 1)
        self._text = io.TextIOWrapper(self._handle, encoding=encoding, errors="surrogateescape",
                                      newline="")
        self._number = 0
        first = self._text.readline(limits.max_line_chars + 1)
        self._text.seek(0)
        self.delimiter = max(",;\t", key=first.count) if first else ","

    def _lines(self) -> Iterator[str]:
        limit = self.limits.max_line_chars
        while line := self._text.readline(limit + 1):
            if len(line) > limit:
                raise TabularError(_("Row %(row)d is longer than %(max)s characters; is this "
                                     "really a CSV file?", row=self._number + 1,
                                     max=grouped(limit)))
            yield line

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        limits = self.limits
        reader = csv.reader(self._lines(), delimiter=self.delimiter)
        try:
            for cells in reader:
                self._number += 1
                number = self._number
                if number > limits.max_physical_rows:
                    raise too_many_rows(limits.max_rows)
                joined = "".join(cells)
                if _BAD_TEXT.search(joined):
                    raise self._bad_text(number, joined)
                if len(joined) > limits.max_cell_chars \
                        and max(map(len, cells)) > limits.max_cell_chars:
                    raise cell_too_long(number, limits.max_cell_chars)
                if len(cells) > limits.max_columns and any(cells[limits.max_columns:]):
                    raise too_many_columns(number, limits.max_columns)
                cells = [cell.strip() for cell in cells[:limits.max_columns]]
                if '="' in joined:  # ="0571-88886666": the text Excel shows, not a formula
                    cells = [_excel_text(cell) for cell in cells]
                yield number, cells
        except UnicodeDecodeError:  # UTF-16 cannot escape every bad byte
            raise self._bad_text(self._number + 1, "") from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise cell_too_long(self._number + 1, limits.max_cell_chars) from None
            raise TabularError(_("Row %(row)d of this CSV file cannot be read (%(error)s).",
                                 row=self._number + 1, error=exc)) from None

    def _bad_text(self, number: int, joined: str) -> TabularError:
        if "\x00" in joined:
            return TabularError(_("Row %(row)d holds a NUL character, which is not text: is "
                                  "this really a CSV file?", row=number))
        return TabularError(_("Row %(row)d is not valid %(encoding)s text. Save the file "
                              "again as \"CSV UTF-8\" and upload it again.", row=number,
                              encoding=_NAMES.get(self.encoding, self.encoding)))

    def progress(self) -> float:
        """How much of the file has been read, from 0 to 1."""
        if self._handle.closed:
            return 1.0
        return min(self._handle.tell() / self._size, 1.0)

    def close(self) -> None:
        """Close the file."""
        self._handle.close()

    def __enter__(self) -> CsvRows:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()


_FORMULA_TEXT = re.compile(r'="(.*)"', re.DOTALL)


def _excel_text(cell: str) -> str:
    """A cell written as Excel's text formula (``="13812345678"``, how systems export long
    numbers to CSV so that Excel keeps their digits) as the text it shows."""
    found = _FORMULA_TEXT.fullmatch(cell)
    return found.group(1).replace('""', '"') if found else cell
