"""Builders of real XLSX files (good ones and bombs) for the tabular tests, zipped by hand."""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterable
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>')
ROOT_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
             f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
             '</Relationships>')
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>')


def sheet_xml(rows: Iterable[str], prolog: str = "") -> Iterable[bytes]:
    """A worksheet part from row elements, in chunks."""
    yield (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">'
           '<sheetData>').encode()
    chunk: list[str] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= 10_000:
            yield "".join(chunk).encode()
            chunk.clear()
    yield ("".join(chunk) + "</sheetData></worksheet>").encode()


def workbook(path: Path, sheet: Iterable[bytes], strings: Iterable[bytes] | None = None,
             workbook_xml: str = WORKBOOK) -> Path:
    """Zip a workbook whose sheet and shared strings parts are streamed from chunks."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook_xml)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        parts = [("xl/worksheets/sheet1.xml", sheet)]
        if strings is not None:
            parts.append(("xl/sharedStrings.xml", strings))
        for name, chunks in parts:
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in chunks:
                    part.write(chunk)
    return path


def inline_row(number: int, *texts: str) -> str:
    """A row of inline-string cells."""
    cells = "".join(f'<c r="{chr(65 + index)}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
                    for index, text in enumerate(texts))
    return f'<row r="{number}">{cells}</row>'


def shared_strings(count: int, declared: bool = True) -> Iterable[bytes]:
    """A shared-strings part of ``count`` tiny strings (uniqueCount left out unless
    ``declared``)."""
    attribute = f' uniqueCount="{count}"' if declared else ""
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"{attribute}>'.encode()
    block = b"<si><t>a</t></si>" * 10_000
    for _ in range(count // 10_000):
        yield block
    yield b"</sst>"


def huge_cell(megabytes: int) -> Iterable[bytes]:
    """A sheet whose second row holds one inline cell of ``megabytes`` MB."""
    yield (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
           + inline_row(1, "name")
           + '<row r="2"><c r="A2" t="inlineStr"><is><t>').encode()
    block = b"a" * (1 << 20)
    for _ in range(megabytes):
        yield block
    yield b"</t></is></c></row></sheetData></worksheet>"


def empty_rows(count: int) -> Iterable[bytes]:
    """A sheet with a header then ``count`` rows of empty cells (no row numbers: they pack
    like the bomb of the report, about 150 KB)."""
    return sheet_xml(itertools.chain([inline_row(1, "name")],
                                     itertools.repeat('<row><c s="1"/></row>', count)))
