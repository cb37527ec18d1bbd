"""One sheet of an XLSX workbook, streamed with limits and without a DTD.

An XLSX is a zip of XML parts. Before anything is unpacked the zip's directory is checked:
the parts' unpacked sizes (the zip module refuses to unpack more than a part declares) and
their compression ratio. Every part is then parsed with expat in chunks, refusing a DTD
(``<!DOCTYPE``: entity bombs, external entities) and any token that grows without end (a
huge attribute or comment). Shared strings are counted as they come, every cell's text is
measured while it streams in, and row numbers are checked against the row limit, so a bomb
stops within its first megabytes.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from openpyxl.styles.numbers import is_date_format

from .base import TabularError, choose_sheet, grouped, too_many_rows
from .limits import Limits
from .xlsx_parts import Part, damaged, local_name, to_int
from .xlsx_sheet import SheetHandler

_MB = 1 << 20
_ROW_TOKENS = (b"<row>", b"<row ", b":row>", b":row ")
_STRING_TOKENS = (b"<si>", b"<si ", b":si>", b":si ")
_MAX_PARTS = 10_000
_MAX_SHEETS = 200  # sheets offered to choose from
_SHEET_NAME_CHARS = 31  # the longest sheet name Excel allows
# Number formats 14-22 and 45-47 are dates and times everywhere; 27-36 and 50-58 are the
# dates of Chinese, Japanese and Korean Excel.
_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])


class XlsxRows:
    """The rows of one sheet as ``(number, cells)``: the sheet named ``sheet``, else the first
    the workbook does not hide. ``sheets`` names the sheets it does not hide, ``sheet`` the
    one read."""

    def __init__(self, path: str | Path, limits: Limits, sheet: str = "") -> None:
        self.limits = limits
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise damaged(exc) from None
        try:
            self._check_archive()
            self._parts = {info.filename.lower().lstrip("/"): info
                           for info in self.archive.infolist()}
            workbook = self._target("_rels/.rels", "officedocument", "xl/workbook.xml", "")
            listed, self._epoch_1904 = self._sheets(workbook)
            self.sheets = [name for name, _rid in listed]
            self.sheet = choose_sheet(self.sheets, sheet)
            rid = dict(listed).get(self.sheet, "")
            folder = posixpath.dirname(workbook)
            rels = posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")
            self._sheet = self._target(rels, rid, "xl/worksheets/sheet1.xml", folder,
                                       by_id=True)
            self._dates = self._date_styles(self._target(rels, "styles", "", folder))
            self._strings = self._shared_strings(self._target(rels, "sharedstrings", "",
                                                              folder))
        except BaseException:
            self.archive.close()
            raise
        self._info = self._parts.get(self._sheet)
        if self._info is None:
            self.archive.close()
            raise damaged(_("it has no worksheet"))
        try:
            _scan(self.archive, self._info, _ROW_TOKENS, self.limits.max_physical_rows,
                  too_many_rows(self.limits.max_rows))
        except BaseException:
            self.archive.close()
            raise
        self._done = 0

    # -- the archive ----------------------------------------------------------------------

    def _check_archive(self) -> None:
        limits = self.limits
        infos = self.archive.infolist()
        if len(infos) > _MAX_PARTS:
            raise damaged(_("it has more than %(max)s parts", max=grouped(_MAX_PARTS)))
        if any(info.flag_bits & 0x1 for info in infos):
            raise TabularError(_("This workbook is protected with a password. Remove the "
                                 "password in Excel, save it and upload it again."))
        if sum(info.file_size for info in infos) > limits.max_unzipped_mb * _MB:
            raise TabularError(_("This workbook unpacks to more than %(max)s MB. Split it into "
                                 "smaller files.", max=grouped(limits.max_unzipped_mb)))
        for info in infos:
            if info.file_size > _MB and \
                    info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
                raise TabularError(_("This workbook is packed more than %(max)d times tighter "
                                     "than a real one is: it looks like a zip bomb, so it is "
                                     "not read.", max=limits.max_zip_ratio))

    def _part(self, name: str) -> Part | None:
        info = self._parts.get(name.lower())
        return Part(self.archive, info) if info is not None else None

    def _target(self, rels: str, wanted: str, default: str, folder: str, *,
                by_id: bool = False) -> str:
        """The part a relation points at: by Id, or by the end of its Type."""
        found: list[str] = []
        part = self._part(rels)
        if part is not None:
            def start(name: str, attrs: dict[str, str]) -> None:
                part.events += 1
                if local_name(name) != "Relationship" or found:
                    return
                kind = attrs.get("Type", "").rsplit("/", 1)[-1].lower()
                if (attrs.get("Id") == wanted) if by_id else (kind == wanted):
                    found.append(attrs.get("Target", ""))
            part.parser.StartElementHandler = start
            part.parse()
        if not found:
            return default
        target = found[0]
        if target.startswith("/"):
            return posixpath.normpath(target.lstrip("/")).lower()
        return posixpath.normpath(posixpath.join(folder, target)).lower()

    def _sheets(self, workbook: str) -> tuple[list[tuple[str, str]], bool]:
        """The sheets the workbook does not hide, as (name, relation id), and its epoch."""
        part = self._part(workbook)
        if part is None:
            raise damaged(_("it has no workbook part"))
        sheets: list[tuple[str, str]] = []
        epoch_1904 = [False]

        def start(name: str, attrs: dict[str, str]) -> None:
            part.events += 1
            local = local_name(name)
            if local == "sheet" and len(sheets) < _MAX_SHEETS \
                    and attrs.get("state", "visible").lower() == "visible":
                rid = next((value for key, value in attrs.items() if local_name(key) == "id"),
                           "")
                sheets.append((attrs.get("name", "")[:_SHEET_NAME_CHARS], rid))
            elif local == "workbookPr":
                epoch_1904[0] = attrs.get("date1904", "").lower() in ("1", "true")
        part.parser.StartElementHandler = start
        part.parse()
        return sheets, epoch_1904[0]

    def _date_styles(self, name: str) -> frozenset[int]:
        """The cell styles (indexes into cellXfs) whose number format is a date or time."""
        part = self._part(name) if name else None
        if part is None:
            return frozenset()
        custom: dict[int, bool] = {}
        dates: set[int] = set()
        state = {"in_xfs": False, "index": 0}

        def start(tag: str, attrs: dict[str, str]) -> None:
            part.events += 1
            local = local_name(tag)
            if local == "numFmt":
                custom[to_int(attrs.get("numFmtId"))] = is_date_format(attrs.get("formatCode", ""))
            elif local == "cellXfs":
                state["in_xfs"] = True
            elif local == "xf" and state["in_xfs"]:
                number = to_int(attrs.get("numFmtId"))
                if custom.get(number, number in _DATE_FORMATS):
                    dates.add(state["index"])
                state["index"] += 1

        def end(tag: str) -> None:
            if local_name(tag) == "cellXfs":
                state["in_xfs"] = False
        part.parser.StartElementHandler = start
        part.parser.EndElementHandler = end
        part.parse()
        return frozenset(dates)

    def _shared_strings(self, name: str) -> list[str]:
        part = self._part(name) if name else None
        if part is None:
            return []
        limits = self.limits
        if part.info.file_size > limits.max_shared_strings_mb * _MB:
            raise TabularError(_("The texts of this workbook take more than %(max)s MB. Split "
                                 "it into smaller files.",
                                 max=grouped(limits.max_shared_strings_mb)))
        too_many = TabularError(_("This workbook holds more than %(max)s different texts. Split "
                                  "it into smaller files.", max=grouped(limits.max_shared_strings)))
        _scan(self.archive, part.info, _STRING_TOKENS, limits.max_shared_strings, too_many)
        strings: list[str] = []
        texts: list[str] = []
        state = {"depth_t": 0, "phonetic": 0, "length": 0}

        def start(tag: str, attrs: dict[str, str]) -> None:
            part.events += 1
            local = local_name(tag)
            if local == "t":
                state["depth_t"] = 1
            elif local == "rPh":
                state["phonetic"] = 1
            elif local == "sst":
                declared = attrs.get("uniqueCount") or ""
                if declared.isdigit() and int(declared) > limits.max_shared_strings:
                    raise too_many

        def end(tag: str) -> None:
            local = local_name(tag)
            if local == "t":
                state["depth_t"] = 0
            elif local == "rPh":
                state["phonetic"] = 0
            elif local == "si":
                if len(strings) >= limits.max_shared_strings:
                    raise too_many
                strings.append("".join(texts))
                texts.clear()
                state["length"] = 0

        def text(data: str) -> None:
            part.events += 1
            if state["depth_t"] and not state["phonetic"]:
                state["length"] += len(data)
                if state["length"] > limits.max_cell_chars:
                    raise TabularError(_("This workbook holds a text longer than %(max)s "
                                         "characters (the most a cell holds); shorten it.",
                                         max=grouped(limits.max_cell_chars)))
                texts.append(data)
        part.parser.StartElementHandler = start
        part.parser.EndElementHandler = end
        part.parser.CharacterDataHandler = text
        part.parse()
        return strings

    # -- the sheet ------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        part = Part(self.archive, self._info)
        sheet = SheetHandler(part, self.limits, self._strings, self._dates, self._epoch_1904)
        for _chunk in part.chunks():
            self._done = part.fed
            if sheet.rows:
                yield from sheet.rows
                sheet.rows.clear()

    def progress(self) -> float:
        """How much of the sheet has been read, from 0 to 1."""
        return min(max(self._done, 0) / max(self._info.file_size, 1), 1.0)

    def close(self) -> None:
        """Close the zip."""
        self.archive.close()

    def __enter__(self) -> XlsxRows:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, tokens: tuple[bytes, ...],
          limit: int, error: TabularError) -> None:
    """Raise ``error`` when the part holds more than ``limit`` of the elements ``tokens``
    open, before it is parsed: a scan of the unpacked bytes (at the zip module's speed)
    finds two million empty rows in a fraction of the time parsing them would take."""
    count, tail = 0, b""
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_MB):
                window = tail + chunk
                count += sum(window.count(token) for token in tokens)
                if count > limit:
                    raise error
                # A token cut by the chunk's end is counted with the next chunk.
                tail = window[-5:]
                count -= sum(tail.count(token) for token in tokens)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise damaged(exc) from None
