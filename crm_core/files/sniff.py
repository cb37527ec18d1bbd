"""What a file is, told from its bytes, and whether it may be stored.

The type comes from the content (``puremagic``'s signatures, with the name only to choose
between formats sharing a signature, such as the Office formats inside a ZIP); text that no
signature names is recognised by decoding it. The name's extension never decides the type.

Refused, each with the reason shown to the user:

- programs: Windows (PE, ``MZ``), Linux (ELF), macOS (Mach-O) and Java class files, and
  scripts starting with a shebang (``#!``), whatever their name;
- names of programs and scripts (``.exe``, ``.bat``, ``.js``, ``.ps1``, ``.sh``, ``.jar`` …),
  whatever their content;
- HTML, SVG or XML that holds a script: a ``<script>`` element, an ``on…=`` event handler,
  or a ``javascript:`` URL;
- markup (HTML, SVG, XML) under the name of another type (``invoice.pdf``), which a
  careless viewer might render.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import puremagic
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from .names import extension_of

HEAD_SIZE = 8192
CHUNK = 64 * 1024
OCTET_STREAM = "application/octet-stream"

#: Extensions of programs and scripts a double-click would run.
FORBIDDEN_EXTENSIONS = frozenset({
    "exe", "dll", "sys", "drv", "cpl", "ocx", "scr", "com", "pif", "bat", "cmd", "msi", "msp",
    "mst", "msc", "js", "jse", "mjs", "cjs", "vbs", "vbe", "wsf", "wsh", "wsc", "hta", "ps1",
    "psm1", "psd1", "sh", "bash", "zsh", "ksh", "csh", "command", "jar", "class", "apk",
    "app", "deb", "rpm", "run", "bin", "elf", "lnk", "reg", "inf", "scf", "url", "gadget",
    "application", "appref-ms", "vb", "py", "pyc", "pyw", "pl", "rb", "php", "phtml", "jsp",
    "asp", "aspx", "cgi", "dylib", "so", "ko",
})
MARKUP_EXTENSIONS = frozenset({"html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "xsl",
                               "xslt", "rss", "atom", "txt", "md"})
_EXECUTABLES = (
    (b"MZ", _l("a Windows program (PE)")),
    (b"\x7fELF", _l("a Linux program (ELF)")),
    (b"\xfe\xed\xfa\xce", _l("a macOS program (Mach-O)")),
    (b"\xfe\xed\xfa\xcf", _l("a macOS program (Mach-O)")),
    (b"\xce\xfa\xed\xfe", _l("a macOS program (Mach-O)")),
    (b"\xcf\xfa\xed\xfe", _l("a macOS program (Mach-O)")),
    (b"\xca\xfe\xba\xbe", _l("a macOS program or Java class (Mach-O universal / class)")),
    (b"#!", _l("a script (it starts with #!)")),
)
_MARKUP_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|body|svg|\?xml|!--|[a-z][\w:.-]*"
                           rb"[\s>/])", re.IGNORECASE)
_SCRIPTED = re.compile(rb"<script|<\s*/?\s*script|\son[a-z]+\s*=|javascript\s*:|"
                       rb"<iframe|<embed|<object|<foreignobject|<handler|xlink:href\s*=\s*['\"]?"
                       rb"\s*data:text/html", re.IGNORECASE)
_TEXT_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "md": "text/markdown",
               "json": "application/json", "html": "text/html", "htm": "text/html",
               "svg": "image/svg+xml", "xml": "application/xml"}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


class FileRefused(DomainError):
    """The file may not be stored; the message says why (shown on the field, 422)."""

    field = "file"


@dataclass(frozen=True)
class Sniffed:
    """What the bytes are: a MIME type, and whether they are markup (HTML, SVG, XML)."""

    content_type: str
    markup: bool = False


def _chunks(path: Path, overlap: int = 64) -> Iterator[bytes]:
    """The file in chunks, each starting with the last ``overlap`` bytes of the one before
    (a pattern split across two chunks is still seen)."""
    tail = b""
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            yield tail + block
            tail = block[-overlap:]


def _text_encoding(head: bytes) -> str | None:
    """The encoding ``head`` decodes with (a BOM's, else UTF-8, else GB18030), or None
    for binary data."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _decoded_head(head: bytes, encoding: str) -> bytes:
    """``head`` as UTF-8 (markup patterns are ASCII), whatever it was written in."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    return text.lstrip("\ufeff").encode("utf-8", "replace")


def _signature_type(head: bytes, name: str, *, least: float = 0.0) -> str | None:
    """The MIME type of the best signature match at least ``least`` sure, or None."""
    try:
        matches = puremagic.magic_string(head, filename=name or None)
    except (puremagic.PureError, ValueError):
        return None
    extension = f".{extension_of(name)}" if extension_of(name) else ""
    ranked = sorted(matches, key=lambda m: (m.extension.lower() != extension, -m.confidence))
    for match in ranked:
        if match.mime_type and match.mime_type != OCTET_STREAM and match.confidence >= least:
            return str(match.mime_type)
    return None


def sniff(path: Path, name: str) -> Sniffed:
    """The type of the stored file at ``path`` (uploaded as ``name``); raises FileRefused
    for a program, a script or a scripted page (see the module's docstring)."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_SIZE)
    extension = extension_of(name)
    if extension in FORBIDDEN_EXTENSIONS:
        raise FileRefused(_l("Files named .%(ext)s are programs or scripts and cannot be "
                             "attached.", ext=extension))
    encoding = _text_encoding(head)
    for magic, what in _EXECUTABLES:
        if head.startswith(magic) and (magic != b"MZ" or encoding is None or _pe(head)):
            raise FileRefused(_l("The file is %(what)s; programs and scripts cannot be "
                                 "attached.", what=what))
    text_head = _decoded_head(head, encoding) if encoding else b""
    if text_head.startswith(b"#!"):
        raise FileRefused(_l("The file is %(what)s; programs and scripts cannot be "
                             "attached.", what=_EXECUTABLES[-1][1]))
    if encoding and _MARKUP_START.match(text_head):
        _check_markup(path, encoding, extension)
        return Sniffed(_markup_type(text_head, extension), markup=True)
    # Text may start with a short signature by chance ("MZ Trading", "BM"): only a sure
    # match names decodable text.
    found = _signature_type(head, name, least=0.5 if encoding else 0.0)
    if found:
        return Sniffed(found)
    if encoding is not None and head:
        return Sniffed(_TEXT_TYPES.get(extension, "text/plain"))
    return Sniffed(OCTET_STREAM)


def _pe(head: bytes) -> bool:
    """Whether an ``MZ`` file has the PE header its DOS header points to (so a text file
    that merely starts with "MZ" is not taken for a program)."""
    if len(head) < 0x40:
        return False
    offset = int.from_bytes(head[0x3C:0x40], "little")
    return head[offset:offset + 4] == b"PE\0\0"


def _markup_type(text_head: bytes, extension: str) -> str:
    lowered = text_head.lower()
    if b"<svg" in lowered:
        return "image/svg+xml"
    if b"<html" in lowered or b"<!doctype html" in lowered or extension in ("html", "htm"):
        return "text/html"
    return "application/xml" if b"<?xml" in lowered or extension == "xml" else "text/plain"


def _check_markup(path: Path, encoding: str, extension: str) -> None:
    """Refuse markup holding a script, or markup named as another type of file."""
    for chunk in _chunks(path):
        if encoding != "utf-8":
            chunk = chunk.decode(encoding, "replace").encode("utf-8", "replace")
        if _SCRIPTED.search(chunk):
            raise FileRefused(_l("The file is a web page or image (HTML, SVG or XML) that "
                                 "contains a script; such files cannot be attached."))
    if extension and extension not in MARKUP_EXTENSIONS:
        raise FileRefused(_l("The file is named .%(ext)s but holds HTML, SVG or XML; rename "
                             "it to what it is.", ext=extension))
