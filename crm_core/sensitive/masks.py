"""How each kind of sensitive value is masked (pure functions, no Flask).

``13912345678`` → ``139****5678``; ``zhang@example.com`` → ``z***@example.com``; an ID-card
number keeps its first and last four characters; a bank account its last four; an address
its province, city and district. Every mask has ``****`` (``MARK``) in it, so a masked value
is never mistaken for a real one, and a masked value given again is masked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from ..phone_forms import china_national_form

__all__ = ["KINDS", "MARK", "is_masked", "mask", "mask_address", "mask_bank_account",
           "mask_email", "mask_id_card", "mask_phone", "masker"]

MARK = "****"
_DIGITS = re.compile(r"\d")
_SEPARATORS = re.compile(r"[\s-]")
# Chinese administrative parts, largest first: a province (or autonomous region, special
# administrative region), a prefecture (市, 自治州, 盟, 地区), a county-level part (区, 县, 市, 旗).
_PROVINCE = r"(?:[^省市区县]{1,8}?(?:省|自治区|特别行政区))?"
_CITY = r"(?:[^省市区县]{1,10}?(?:市|自治州|盟|地区))?"
_DISTRICT = r"(?:[^省市区县路街道号]{1,10}?(?:区|县|市|旗))?"
_REGION = re.compile(f"^{_PROVINCE}{_CITY}{_DISTRICT}")
# A Chinese number as stored (E.164), which phonenumbers parses to +86 and these same digits
# (7 to 11 of them: in a longer one it may take the first digits for a carrier code)
_CHINA_E164 = re.compile(r"\+86[1-9][0-9]{6,10}")
# Any number as stored (E.164): its country code and national number are read off its digits
# when phonenumbers' parse would take them as they are (``_stored_parts``)
_E164 = re.compile(r"\+[1-9][0-9]{6,15}")


def _middle(digits: str) -> str:
    """The first three and last four digits around ``MARK`` (shorter numbers keep less)."""
    if len(digits) >= 8:
        return f"{digits[:3]}{MARK}{digits[-4:]}"
    if len(digits) >= 5:
        return f"{MARK}{digits[-4:]}"
    return MARK


def mask_phone(value: str) -> str:
    """A phone number with its middle hidden: ``+8613912345678`` and ``139 1234 5678`` give
    ``139****5678`` (a Chinese number in its national form), ``+14155552671`` gives
    ``+1 415****2671``. An extension is left out."""
    text = str(value).strip()
    if MARK in text:
        return text
    head = text.split(";", 1)[0] if ";" in text else text
    # How numbers are stored: no parse needed (~14 µs a number, a list page has ~100)
    if _CHINA_E164.fullmatch(head):
        return _china_national(head[3:])
    parts = _stored_parts(head[1:]) if _E164.fullmatch(head) else None
    if parts is None:
        try:
            number = phonenumbers.parse(head, "CN")
        except phonenumbers.NumberParseException:
            return _middle("".join(_DIGITS.findall(text)))
        parts = number.country_code, str(number.national_number)
    country_code, national = parts
    if country_code == 86:
        return _china_national(national)
    return f"+{country_code} {_middle(national)}"


def _stored_parts(digits: str) -> tuple[int, str] | None:
    """The country code and national number phonenumbers' parse reads in ``+`` and these
    digits, or None where only the parse can tell: an unknown country code, or a national
    number that begins like the country's national prefix or carrier code (the parse may
    strip it)."""
    for width in (1, 2, 3):
        country_code = int(digits[:width])
        if country_code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[width:]
    prefix = _national_prefix(country_code)
    if prefix is False or (prefix is not None and prefix.match(national)):
        return None
    return country_code, str(int(national))  # the parse keeps it as a number: no leading 0


@cache
def _national_prefix(country_code: int) -> re.Pattern[str] | None | bool:
    """What phonenumbers' parse strips from the front of a national number of the country
    (``national_prefix_for_parsing``): None when nothing, False without metadata."""
    region = COUNTRY_CODE_TO_REGION_CODE[country_code][0]
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return False
    pattern = metadata.national_prefix_for_parsing
    return re.compile(pattern) if pattern else None


def _china_national(national: str) -> str:
    """A Chinese number's mask from its national significant digits, in its national form
    (``china_national_form``: 010 ... for a landline)."""
    return _middle(china_national_form(national))


def mask_email(value: str) -> str:
    """``zhang@example.com`` → ``z***@example.com``: the first character of the name and
    the whole domain (which tells the company, not the person)."""
    text = str(value).strip()
    if MARK in text:
        return text
    name, at, domain = text.rpartition("@")
    if not at:
        return f"{text[:1]}***" if text else ""
    return f"{name[:1]}***@{domain}"


def mask_id_card(value: str) -> str:
    """An ID-card number keeping its first four (the region) and last four characters:
    ``110101199003071234`` → ``1101**********1234``."""
    text = str(value).strip()
    if MARK in text:
        return text
    if len(text) <= 8:
        return MARK
    return f"{text[:4]}{'*' * (len(text) - 8)}{text[-4:]}"


def mask_bank_account(value: str) -> str:
    """A bank account keeping its last four digits: ``6222 0212 3456 7890`` →
    ``**** 7890``."""
    text = _SEPARATORS.sub("", str(value))
    if MARK in text:
        return str(value).strip()
    if len(text) <= 4:
        return MARK
    return f"{MARK} {text[-4:]}"


def mask_address(value: str) -> str:
    """An address keeping its province, city and district and hiding the rest:
    ``北京市海淀区中关村大街1号`` → ``北京市海淀区****``. An address in another script keeps
    its last two comma-separated parts (city, state): ``1 Main St, Springfield, IL`` →
    ``****, Springfield, IL``."""
    text = str(value).strip()
    if not text or MARK in text:
        return text
    region = _REGION.match(text)
    kept = region.group(0) if region else ""
    if kept and len(kept) < len(text):
        return f"{kept}{MARK}"
    parts = [part.strip() for part in text.split(",")]
    if len(parts) >= 3:
        return ", ".join([MARK, *parts[-2:]])
    return MARK


#: Each kind of sensitive value and its mask.
KINDS: dict[str, Callable[[str], str]] = {
    "phone": mask_phone, "email": mask_email, "id_card": mask_id_card,
    "bank_account": mask_bank_account, "address": mask_address}


def mask(kind: str, value: Any) -> Any:
    """``value`` masked as a ``kind`` (one of ``KINDS``); a list or tuple is masked item by
    item, None and "" stay as they are."""
    return masker(kind)(value)


@cache
def masker(kind: str) -> Callable[[Any], Any]:
    """``mask`` for one ``kind``, looked up once: what masks every row of a page."""
    one = KINDS[kind]

    def masked(value: Any) -> Any:
        if value is None or value == "":
            return value
        if value.__class__ is str:
            return one(value)
        if isinstance(value, list | tuple):
            return [item if item is None or item == "" else one(str(item)) for item in value]
        return one(str(value))

    return masked


def is_masked(value: Any) -> bool:
    """Whether ``value`` (a text) carries a mask."""
    return isinstance(value, str) and (MARK in value or "***@" in value)
