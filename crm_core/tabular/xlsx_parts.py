"""Parsing one XML part of an XLSX zip safely: expat in chunks, no DTD, no endless token."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from xml.parsers import expat

from flask_babel import gettext as _

from .base import TabularError

_CHUNK = 1 << 16
_QUIET_CHUNKS = 64  # 4 MiB parsed without one element or text: an endless token
CELL_REF = re.compile(r"([A-Z]+)(\d*)")


def damaged(detail: object = "") -> TabularError:
    return TabularError(_("This file is not an Excel workbook we can read (%(error)s). Save "
                          "it again as .xlsx or CSV.", error=detail or _("damaged")))


def column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


class Part:
    """Parse one XML part of the zip with expat, handlers given as a dict, in chunks."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self.archive, self.info = archive, info
        self.events = 0
        self.fed = 0  # unpacked bytes parsed so far
        parser = expat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.buffer_size = _CHUNK
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse_dtd
        parser.EntityDeclHandler = self._refuse_dtd
        parser.ExternalEntityRefHandler = self._refuse_dtd
        self.parser = parser

    @staticmethod
    def _refuse_dtd(*_args: Any) -> None:
        raise TabularError(_("This workbook contains a DTD (<!DOCTYPE>), which Excel never "
                             "writes and we do not read. Open it in Excel or WPS, save it "
                             "again as .xlsx and upload that file."))

    def chunks(self) -> Iterator[None]:
        """Feed the part chunk by chunk; yields after each chunk so the caller can drain."""
        quiet, events = 0, -1
        try:
            with self.archive.open(self.info) as stream:
                while chunk := stream.read(_CHUNK):
                    self.fed += len(chunk)
                    self.parser.Parse(chunk, False)
                    quiet = quiet + 1 if self.events == events else 0
                    events = self.events
                    if quiet > _QUIET_CHUNKS:
                        raise damaged(_("a part of it is one endless piece of XML"))
                    yield
            self.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise damaged(f"{self.info.filename}: {expat.errors.messages[exc.code]}") \
                from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise damaged(exc) from None
        yield

    def parse(self) -> None:
        """Parse the whole part (for the small ones: workbook, relations, styles, strings)."""
        for _chunk in self.chunks():
            pass


def local_name(name: str) -> str:
    return name.rpartition("}")[2]


def to_int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return -1
