"""The worksheet's XML turned into rows by expat handlers, every limit checked on the way."""

from __future__ import annotations

from flask_babel import gettext as _
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from .base import cell_text, cell_too_long, too_many_columns, too_many_rows
from .limits import Limits
from .xlsx_parts import CELL_REF, Part, column_index, damaged, to_int


class SheetHandler:
    """expat handlers that turn a worksheet's XML into ``rows``, checking every limit."""

    def __init__(self, part: Part, limits: Limits, strings: list[str],
                 dates: frozenset[int], epoch_1904: bool) -> None:
        self.part, self.limits, self.strings, self.dates = part, limits, strings, dates
        self.epoch_1904 = epoch_1904
        self.rows: list[tuple[int, list[str]]] = []
        self.number = self.physical = 0
        self.cells: dict[int, str] = {}
        self.column = 0
        self.kind = self.style = ""
        self.text: list[str] | None = None
        self.length = 0
        self.ref: str | None = None
        self._names: dict[str, str] = {}
        parser = part.parser
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data

    def _local(self, tag: str) -> str:
        local = self._names.get(tag)
        if local is None:
            local = self._names[tag] = tag[tag.rfind("}") + 1:]
        return local

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        """An element opens: a row, a cell, or the value of a cell."""
        # Called for every element of a sheet of millions: the work is deferred to cells
        # that turn out to hold a value.
        self.part.events += 1
        local = self._names.get(tag) or self._local(tag)
        if local == "c":
            self.ref = attrs.get("r")
            self.column += 1
            self.kind, self.style = attrs.get("t", "n"), attrs.get("s", "")
            self.text, self.length = None, 0
        elif local == "v" or (local == "t" and self.kind == "inlineStr"):
            self.text = self.text if self.text is not None else []
        elif local == "row":
            number = to_int(attrs.get("r")) if attrs.get("r") else self.number + 1
            self.number = max(number, self.number + 1)
            # Every row element counts (two million empty ones are a bomb); a row number past
            # the limit counts only with a value (Excel keeps formatted empty rows far down).
            self.physical += 1
            if self.physical > self.limits.max_physical_rows:
                raise too_many_rows(self.limits.max_rows)
            self.cells, self.column = {}, 0
        elif local == "rPh":
            self.kind = "phonetic:" + self.kind

    def data(self, text: str) -> None:
        """Text inside an element: kept for a cell's value, measured against the limit."""
        self.part.events += 1
        if self.text is not None and not self.kind.startswith("phonetic:"):
            self.length += len(text)
            if self.length > self.limits.max_cell_chars:
                raise cell_too_long(self.number, self.limits.max_cell_chars)
            self.text.append(text)

    def end(self, tag: str) -> None:
        """An element closes: a cell gets its value, a row goes to ``rows``."""
        local = self._names.get(tag) or self._local(tag)
        if local == "c":
            if self.text is not None:
                value = self._value("".join(self.text))
                if value:
                    match = CELL_REF.match(self.ref or "")
                    if match:
                        self.column = column_index(match[1])
                    if self.column > self.limits.max_columns:
                        raise too_many_columns(self.number, self.limits.max_columns)
                    self.cells[self.column] = value
            self.text = None
        elif local == "row":
            if self.cells:
                if self.number > self.limits.max_physical_rows:
                    raise too_many_rows(self.limits.max_rows)
                width = max(self.cells)
                self.rows.append((self.number, [self.cells.get(index, "")
                                                for index in range(1, width + 1)]))
            else:
                self.rows.append((self.number, []))
        elif local == "rPh":
            self.kind = self.kind.removeprefix("phonetic:")

    def _value(self, raw: str) -> str:
        kind = self.kind
        if kind == "s":
            try:
                return self.strings[int(raw)].strip()
            except (ValueError, IndexError):
                raise damaged(_("row %(row)d refers to a text it does not have",
                                 row=self.number)) from None
        if kind in ("inlineStr", "str", "e"):
            return raw.strip()
        if kind == "b":
            return "TRUE" if raw.strip() in ("1", "true") else "FALSE"
        if kind == "d":
            return raw.strip().replace("T", " ").removesuffix(" 00:00:00")
        raw = raw.strip()
        if not raw:
            return ""
        try:
            number: float | int = int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            return raw
        if self.style and to_int(self.style) in self.dates:
            try:
                return cell_text(from_excel(number, CALENDAR_MAC_1904 if self.epoch_1904
                                            else CALENDAR_WINDOWS_1900))
            except (ValueError, OverflowError):
                return cell_text(number)
        return cell_text(number)
