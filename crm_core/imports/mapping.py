"""Guessing which field each column fills, from headers in Chinese or English.

A header matches a field when, folded (full-width to half-width, case, spaces and
punctuation dropped), it equals one of the field's aliases, its name, or its label in English
or Chinese; failing that, without a note in brackets ("(必填)") or a word that only places
it ("所在", "所属", "信息"), as other systems' exports write them. A saved template (header
text to field name) wins over the guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from flask_babel import gettext as _

from ..i18n import in_every_language
from ..tabular import TabularError

__all__ = ["check_header_row", "fold_header", "guess_field", "guess_mapping",
           "header_lookup"]

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def fold_header(text: str) -> str:
    """``text`` as compared with aliases: NFKC, case folded, no spaces or punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text or "").casefold())


def header_lookup(fields: Iterable[Any], labels: bool = True) -> dict[str, str]:
    """``{folded spelling: field name}`` for ``fields`` (``ImportField``-like objects with
    ``name``, ``label`` and ``aliases``); an alias wins over a label, the first field over
    later ones. ``labels=False`` leaves the labels out (aliases and names only)."""
    lookup: dict[str, str] = {}
    fields = list(fields)
    for item in fields:
        for spelling in (*item.aliases, item.name):
            lookup.setdefault(fold_header(spelling), item.name)
    for item in fields if labels else ():
        for spelling in in_every_language(item.label):
            lookup.setdefault(fold_header(spelling), item.name)
    lookup.pop("", None)
    return lookup


# A note beside a column's name in other systems' exports: "客户名称(必填)", "邮箱【选填】".
_NOTE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
# Words around a field's name that say nothing more: "所在城市", "所属行业", "备注信息".
_PREFIXES = ("所在", "所属")
_SUFFIXES = ("信息",)
_NUMBERED = re.compile(r"(\D+?)\d{1,2}")


def _spellings(header: str) -> Iterator[str]:
    """``header`` folded as it is, then without a note in brackets, then without a word
    that only places it (the first of these an alias knows wins)."""
    yield fold_header(header)
    bare = fold_header(_NOTE.sub("", header)) or fold_header(header)
    yield bare
    for prefix in _PREFIXES:
        if bare.startswith(prefix) and len(bare) > len(prefix):
            yield bare[len(prefix):]
    for suffix in _SUFFIXES:
        if bare.endswith(suffix) and len(bare) > len(suffix):
            yield bare[:-len(suffix)]
    numbered = _NUMBERED.fullmatch(bare)
    if numbered:  # the second of several columns of a kind: "电话2", "手机号码1", "Phone 2"
        yield numbered[1]


def guess_field(header: str, lookup: Mapping[str, str]) -> str:
    """The field ``header`` names, or "": "客户名称" gives "name", and so do "客户名称(必填)"
    and "*客户名称"; "所在城市" gives what "城市" gives, "电话2" what "电话" gives."""
    return next((lookup[spelling] for spelling in _spellings(header) if spelling in lookup),
                "")


def guess_mapping(headers: Sequence[str], fields: Iterable[Any],
                  saved: Mapping[str, str] | None = None,
                  lookup: Mapping[str, str] | None = None) -> list[str]:
    """One field name per column ("" for none): the saved template's choice for the header,
    else the guess. A field that takes one column keeps the first column only."""
    fields = list(fields)
    known = {item.name: item for item in fields}
    lookup = lookup if lookup is not None else header_lookup(fields)
    chosen: list[str] = []
    used: set[str] = set()
    for header in headers:
        name = (saved or {}).get(header, guess_field(header, lookup))
        item = known.get(name)
        if item is None or (name in used and not getattr(item, "multiple", False)):
            name = ""
        used.add(name)
        chosen.append(name)
    return chosen


def _looks_like_data(cell: str) -> bool:
    digits = re.sub(r"[\s\-+()]", "", cell)
    return "@" in cell or (len(digits) >= 5 and digits.isdigit())


def check_header_row(spec: Any, table: Any) -> None:
    """TabularError when no header of ``table`` names one of ``spec``'s fields and one looks
    like data (an email, a phone number): the file has no header row."""
    lookup = header_lookup(spec.fields)
    if any(guess_field(header, lookup) for header in table.headers) \
            or not any(_looks_like_data(header) for header in table.headers):
        return
    raise TabularError(_("The first row of the file should name the columns, but row "
                         "%(row)d looks like data. Add a header row and upload the file "
                         "again.", row=table.header_number))
