"""Checks and normalisation of what users type into a customer: phones, emails, USCC.

Each ``normalise_*`` function returns the stored form or raises ``FieldError`` (a
``DomainError`` naming the field) with a message the user understands.

- Phones are stored as E.164 (``+8613812345678``); a landline extension follows as
  ``;ext=123`` (RFC 3966), so the same number typed differently is stored once.
- Emails are stored trimmed and in lower case.
- The unified social credit code (USCC, GB 32100-2015) is 18 characters from the code's
  alphabet, the last one a check character over the first 17.
- A website is an http or https address (``javascript:`` and ``data:`` never become links).
- Lists and texts have caps (``MAX_PHONES``, ``NOTES_MAX``...) so one record cannot be huge.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import phonenumbers
from flask_babel import gettext as _

from crm_core.toolkit import INT32_MAX, DomainError

__all__ = ["CONTENT_MAX", "FieldError", "MAX_EMAILS", "MAX_PHONES", "NOTES_MAX",
           "USCC_ALPHABET", "WEBSITE_MAX", "check_list_size", "normalise_email",
           "normalise_phone", "normalise_uscc", "normalise_website", "parse_id",
           "refuse_shortened_number", "uscc_check_char", "web_url"]

# Caps that keep one record small (a 60 MB note or 10,000 phones once made every list page
# that showed the customer megabytes long). The text columns say their own lengths.
MAX_PHONES = 20
MAX_EMAILS = 20
NOTES_MAX = 10_000  # a customer's notes (a Text column, so the cap is ours)
CONTENT_MAX = 5_000  # what a contact record says
WEBSITE_MAX = 200
_RAW_PHONE_MAX = 60  # longer text is no phone number, and is not echoed back


class FieldError(DomainError):
    """A value of one field was refused; ``field`` names it (forms and the API show it there)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_ID_TEXT = re.compile(r"[0-9]{1,10}")


def parse_id(value: object) -> int | None:
    """The record id a query or form value names (1..2,147,483,647, ASCII digits), or None
    when it names none: such a value can never reach a query as a number the database
    refuses."""
    text = str(value).strip() if value is not None else ""
    if not _ID_TEXT.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= INT32_MAX else None


def check_list_size(values: list[str], field: str) -> list[str]:
    """``values`` unless there are more than the field allows (``MAX_PHONES`` phones,
    ``MAX_EMAILS`` emails); raises FieldError naming the field."""
    if field.endswith("phones") and len(values) > MAX_PHONES:
        raise FieldError(field, _("At most %(max)d phone numbers.", max=MAX_PHONES))
    if field.endswith("emails") and len(values) > MAX_EMAILS:
        raise FieldError(field, _("At most %(max)d email addresses.", max=MAX_EMAILS))
    return values


# ---------------------------------------------------------------------------- phones

_SEPARATORS = re.compile(r"[\s\-\.\(\)（）—－]")
_EXTENSION = re.compile(r"(?:转|分机|;ext=|ext\.?|x|#|,)\s*(\d{1,6})$", re.IGNORECASE)
_MOBILE = re.compile(r"1[3-9]\d{9}")
# Area codes: 010 and 02x have 2 digits after the 0 and 8-digit numbers; the others 3 digits.
_LANDLINE = re.compile(r"0(?:(?:10|2\d)[1-9]\d{7}|[3-9]\d{2}[1-9]\d{6,7})")
_SERVICE = re.compile(r"[48]00\d{7}")  # 400 and 800 numbers, nationwide: no area code


def _fold(text: str) -> str:
    """Full-width digits and signs (Chinese input methods) to their ASCII forms."""
    return unicodedata.normalize("NFKC", text).strip()


# What Excel writes for a long number in a General column when it saves a CSV: 1.38123E+10.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE]\+?\d+")


def refuse_shortened_number(text: str, field: str) -> None:
    """FieldError when ``text`` is a long number Excel wrote in scientific notation
    (``1.38123E+10``): its last digits are gone, and the user must fix the file itself."""
    if _SCIENTIFIC.fullmatch(text.strip()):
        raise FieldError(field, _("\"%(value)s\" is a number Excel shortened to scientific "
                                  "notation, and its last digits are lost: format the column "
                                  "as Text in Excel, enter the numbers again and save the file "
                                  "again.", value=text.strip()))


def normalise_phone(raw: str, field: str = "phones") -> str:
    """The E.164 form of a Chinese mobile, a Chinese landline or an international number.

    Accepted: ``13812345678``, ``+86 138 1234 5678``, ``0086-13812345678``,
    ``86-13812345678``, ``010-12345678``, ``(0755) 1234567 转 89``, ``400-800-8888``,
    ``+1 650 253 0000``.
    """
    if len(raw or "") > _RAW_PHONE_MAX:
        raise FieldError(field, _("A phone number has at most %(max)d characters.",
                                  max=_RAW_PHONE_MAX))
    text = _fold(raw or "")
    if not text:
        raise FieldError(field, _("Enter a phone number."))
    refuse_shortened_number(text, field)
    extension = ""
    match = _EXTENSION.search(text)
    if match:
        extension = match.group(1)
        text = text[:match.start()]
    # A landline extension may also follow a second hyphen: 010-12345678-123.
    parts = [part for part in re.split(r"-", text.strip()) if part.strip()]
    if not extension and len(parts) == 3 and parts[0].strip().startswith("0") \
            and len(parts[2].strip()) <= 6 and parts[2].strip().isdigit():
        extension = parts[2].strip()
        text = "-".join(parts[:2])
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        digits = "+" + digits  # 86-13812345678: the country code without its +
    if digits.startswith("+86"):
        digits = digits[3:]
        if digits.startswith("0"):
            pass  # +86 010... is a common mistake; accept it as the landline it means
        elif not _MOBILE.fullmatch(digits):
            digits = "0" + digits  # +86 10 12345678: area code without its trunk 0
    elif digits.startswith("+"):
        return _international(digits, extension, field, raw)
    if not digits.isdigit():
        raise FieldError(field, _("A phone number may contain only digits, spaces, hyphens, "
                                  "brackets and a leading +: \"%(value)s\".", value=raw))
    if _MOBILE.fullmatch(digits):
        if extension:
            raise FieldError(field, _("A mobile number has no extension: \"%(value)s\".",
                                      value=raw))
        return "+86" + digits
    if _LANDLINE.fullmatch(digits):
        return "+86" + digits[1:] + (f";ext={extension}" if extension else "")
    if _SERVICE.fullmatch(digits):
        return "+86" + digits + (f";ext={extension}" if extension else "")
    if digits.startswith("1"):
        raise FieldError(field, _("\"%(value)s\" is not a Chinese mobile number: it has 11 "
                                  "digits and starts with 13 to 19.", value=raw))
    if digits.startswith("0"):
        raise FieldError(field, _("\"%(value)s\" is not a Chinese landline number: write the "
                                  "area code and 7 or 8 digits, such as 010-12345678.",
                                  value=raw))
    raise FieldError(field, _("\"%(value)s\" is not a phone number we understand: enter a "
                              "Chinese mobile (13812345678), a landline with its area code "
                              "(010-12345678) or an international number starting with +.",
                              value=raw))


def _international(digits: str, extension: str, field: str, raw: str) -> str:
    try:
        number = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise FieldError(field, _("\"%(value)s\" is not a valid international number: write "
                                  "+, the country code and the number, such as "
                                  "+1 650 253 0000.", value=raw))
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted + (f";ext={extension}" if extension else "")


# ---------------------------------------------------------------------------- emails

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                    r"[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def normalise_email(raw: str, field: str = "emails") -> str:
    """The address trimmed and in lower case; refused unless it looks like name@domain.tld."""
    if len(raw or "") > 254:
        raise FieldError(field, _("An email address has at most %(max)d characters.",
                                  max=254))
    text = _fold(raw or "")
    if not text:
        raise FieldError(field, _("Enter an email address."))
    if len(text) > 254 or not _EMAIL.fullmatch(text) or ".." in text:
        raise FieldError(field, _("\"%(value)s\" is not an email address such as "
                                  "name@example.com.", value=raw))
    return text.lower()


# ---------------------------------------------------------------------------- USCC

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character of the first 17 characters of a USCC."""
    total = sum(USCC_ALPHABET.index(char) * weight
                for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalise_uscc(raw: str, field: str = "uscc") -> str:
    """The code in upper case without spaces, refused unless its check character is right."""
    if len(raw or "") > 60:
        raise FieldError(field, _("A unified social credit code has 18 characters."))
    code = re.sub(r"\s", "", _fold(raw or "")).upper()
    refuse_shortened_number(code, field)
    if len(code) != 18:
        raise FieldError(field, _("A unified social credit code has 18 characters; "
                                  "\"%(value)s\" has %(count)d.", value=raw, count=len(code)))
    wrong = sorted({char for char in code if char not in USCC_ALPHABET})
    if wrong:
        raise FieldError(field, _("A unified social credit code uses digits and the capital "
                                  "letters except I, O, S, V and Z; \"%(value)s\" contains "
                                  "%(chars)s.", value=raw, chars=", ".join(wrong)))
    if not code[2:8].isdigit():
        raise FieldError(field, _("Characters 3 to 8 of a unified social credit code are the "
                                  "6-digit region code; check \"%(value)s\".", value=raw))
    if uscc_check_char(code[:17]) != code[17]:
        raise FieldError(field, _("\"%(value)s\" is not a valid unified social credit code: "
                                  "its last character does not match the others (a typing "
                                  "mistake?).", value=raw))
    return code


# ---------------------------------------------------------------------------- websites

WEB_SCHEMES = ("http", "https")


def web_url(value: str | None) -> str | None:
    """``value`` when it is an http or https address with a host, else None: what a page may
    make a link of (a stored ``javascript:`` or ``data:`` value from before the check is shown
    as text)."""
    text = (value or "").strip()
    if not text or any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return text


def normalise_website(raw: str | None, field: str = "website") -> str:
    """The address as stored: ``""`` for none, ``http://`` put before an address typed without
    a scheme (``www.example.cn``), refused unless it is http or https with a host."""
    text = (raw or "").strip()
    if not text:
        return ""
    if len(text) > WEBSITE_MAX:
        raise FieldError(field, _("At most %(max)d characters.", max=WEBSITE_MAX))
    if "://" not in text and not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\d)", text):
        text = "http://" + text
    url = web_url(text)
    if url is None or len(url) > WEBSITE_MAX:
        raise FieldError(field, _("Enter a web address starting with http:// or https://, "
                                  "such as https://www.example.cn."))
    return url
