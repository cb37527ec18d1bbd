"""File names as uploaded, made safe to show and to send back.

The name a browser or client sends is the user's; it is kept for display, minus anything
that could mislead or break a header: folders (``../``, ``C:\\``), control characters,
bidirectional overrides (``exe.pdf`` shown for ``fdp.exe``), leading dots and spaces, and
excess length. ``content_disposition`` sends it back as RFC 6266 / RFC 5987 asks: an ASCII
``filename`` fallback and the exact UTF-8 name in ``filename*`` (``合同.pdf``).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME_LENGTH = 255
DEFAULT_NAME = "file"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._() -]+")


def clean_name(name: str | None) -> str:
    """The display name of an uploaded file: its last path part, without control or
    direction-changing characters, leading dots or spaces, at most 255 characters (the
    extension kept); ``"file"`` when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[\\/]", text)[-1]
    text = _CONTROL.sub("", text).replace('"', "'").strip().lstrip(".").strip()
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            text = stem[:MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            text = text[:MAX_NAME_LENGTH]
    return text or DEFAULT_NAME


def extension_of(name: str) -> str:
    """The lower-case extension of ``name`` without its dot (``"pdf"``), or ``""``."""
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def ascii_name(name: str) -> str:
    """An ASCII stand-in for ``name`` (accents dropped, other letters as ``_``), keeping
    its extension: ``"合同.pdf"`` becomes ``"file.pdf"``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = _ASCII_UNSAFE.sub("_", folded).strip(" ._")
    extension = extension_of(name)
    if not folded.strip("_") or folded.strip("_") == extension:
        folded = DEFAULT_NAME + (f".{_ASCII_UNSAFE.sub('', extension)}" if extension else "")
    return folded


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """The ``Content-Disposition`` header value that downloads a file called ``name``."""
    shown = clean_name(name)
    fallback = ascii_name(shown)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != shown:
        value += f"; filename*=UTF-8''{quote(shown, safe='')}"
    return value
