"""File writers of the customer export, and phone numbers as people write them.

The writers are the kernel's (``toolkit.open_writer``): CSV in UTF-8 with a BOM and XLSX,
streamed, every text cell a spreadsheet would run as a formula neutralised with a leading
``'``. Until the toolkit names them, the customers plugin reaches them directly.

``readable_phone`` gives what the kernel's ``format_phone`` gives, without its per-number
cost (~100 µs through ``phonenumbers``, most of an export's time when a third of the numbers
are landlines): Chinese numbers are formatted with phonenumbers' own patterns for China,
compiled once, and a foreign number stored in E.164 is shown as it is once a number of the
same country prefix and length was (``tests/plugins/customers/test_import_export_speed.py``
compares both on every kind of number).
"""

from __future__ import annotations

import re
from functools import lru_cache

from phonenumbers.phonemetadata import PhoneMetadata

from crm_core.toolkit import TABLE_FORMATS as FORMATS
from crm_core.toolkit import CsvWriter, TableWriter, format_phone, neutralise, open_writer

__all__ = ["FORMATS", "CsvWriter", "ExportWriter", "neutralise", "open_writer", "readable_phone"]

ExportWriter = TableWriter
_FIRST_GROUP = re.compile(r"(\\\d)")  # phonenumbers' $FG: the format's first group
_SAME: dict[tuple[str, int], bool] = {}  # (prefix, length) of foreign numbers shown as stored
# China's format of a national number by its first six digits and length: phonenumbers
# chooses it by at most six leading digits and the length (its patterns count digits only).
_CHOSEN: dict[tuple[str, int], tuple[re.Pattern[str], str] | str | None] = {}
# A possible length with no format of its own: phonenumbers writes the digits as they are
# (+865712001427 → 5712001427). Once sent to format_phone: 55,000 of the benchmark's 1.3
# million numbers, three quarters of formatting them all.
_AS_IS = "as is"


def readable_phone(e164: str) -> str:
    """An E.164 number (``;ext=`` for an extension) as the pages show it (the kernel's
    ``format_phone``): Chinese numbers in the national form (``138 1234 5678``,
    ``010 1234 5678 转 89``), others in E.164 (``+16502530000``)."""
    if len(e164) == 14 and e164[3] == "1" and e164[4] in "3456789" \
            and e164.startswith("+86"):  # a mobile (1[3-9] and 9 digits), fast
        return f"{e164[3:6]} {e164[6:10]} {e164[10:]}"
    number, _sep, extension = e164.partition(";ext=")
    text = _formatted(number)
    return f"{text} 转 {extension}" if extension else text


def _formatted(number: str) -> str:
    digits = number[1:]
    if number[:1] != "+" or not digits.isdigit():
        return _slow(number)
    if digits.startswith("86") and (digits[2:3] in tuple("23456789") or
                                    digits.startswith("8610")):
        return _china(digits[2:]) or _slow(number)
    key = (number[:9], len(number))
    same = _SAME.get(key)
    if same is None:
        same = _SAME[key] = _slow(number) == number if len(_SAME) < 100_000 else False
    return number if same else _slow(number)


@lru_cache(maxsize=4096)
def _slow(number: str) -> str:
    return format_phone(number)


@lru_cache(maxsize=1)
def _china_formats() -> tuple[list[tuple[re.Pattern[str] | None, re.Pattern[str], str]],
                              frozenset[int]]:
    """phonenumbers' national formats for China, compiled, and the possible lengths."""
    meta = PhoneMetadata.metadata_for_region("CN")
    formats = []
    for item in meta.number_format:
        rule = item.format
        if item.national_prefix_formatting_rule:  # "0\1": the trunk 0 before the area code
            rule = _FIRST_GROUP.sub(item.national_prefix_formatting_rule.replace("\\", "\\\\"),
                                    rule, count=1)
        lead = re.compile(item.leading_digits_pattern[-1]) \
            if item.leading_digits_pattern else None
        formats.append((lead, re.compile(item.pattern), rule))
    return formats, frozenset(meta.general_desc.possible_length)


def _china(national: str) -> str | None:
    """A Chinese number's national form as ``format_phone`` writes it (None: not one)."""
    key = (national[:6], len(national))
    chosen = _CHOSEN.get(key, False)
    if chosen is False:
        chosen = _choose(national)
        if len(_CHOSEN) < 100_000:
            _CHOSEN[key] = chosen
    if chosen is None:
        return None
    if chosen is _AS_IS:
        return national
    pattern, rule = chosen
    return pattern.sub(rule, national).replace("-", " ")


def _choose(national: str) -> tuple[re.Pattern[str], str] | str | None:
    """The format phonenumbers chooses for a national number; ``_AS_IS`` when none fits a
    possible length; None for an impossible length (``format_phone`` shows it as given)."""
    formats, lengths = _china_formats()
    if len(national) not in lengths:
        return None
    for lead, pattern, rule in formats:
        if (lead is None or lead.match(national)) and pattern.fullmatch(national):
            return pattern, rule
    return _AS_IS
