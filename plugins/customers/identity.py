"""The sensitive identifiers of a customer: the ID-card number of a person and the bank account
(开户行 / 银行账号) invoices are paid from. Both are stored encrypted (``toolkit.EncryptedString``)
with a blind index for exact lookups; this module checks and normalises what users type.

- An ID-card number (居民身份证号码, GB 11643-1999) is 17 digits and a check character (a digit
  or ``X``) over them, with a real birth date in digits 7 to 14.
- A bank account number is 8 to 32 digits; spaces and dashes typed between groups are dropped.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from flask_babel import gettext as _

from .validation import FieldError, refuse_shortened_number

__all__ = ["BANK_NAME_MAX", "bank_account_key", "id_card_check_char", "id_card_key",
           "normalise_bank_account", "normalise_bank_name", "normalise_id_card"]

BANK_NAME_MAX = 100
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_RAW_MAX = 60  # longer text is no such number, and is not echoed back


def _fold(text: str) -> str:
    """Full-width digits (Chinese input methods) to ASCII, without any whitespace."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))


def id_card_check_char(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits of an ID-card number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_card_key(text: str) -> str:
    """What the blind index of an ID-card number is computed over: no spaces, capital X."""
    return _fold(text).upper()


def normalise_id_card(raw: str, field: str = "id_card_number") -> str:
    """The 18-character number (capital ``X``), refused unless its birth date and check
    character are right."""
    if len(raw or "") > _RAW_MAX:
        raise FieldError(field, _("A resident ID-card number has 18 characters."))
    number = id_card_key(raw)
    refuse_shortened_number(number, field)
    if len(number) != 18:
        raise FieldError(field, _("A resident ID-card number has 18 characters; \"%(value)s\" "
                                  "has %(count)d.", value=raw, count=len(number)))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise FieldError(field, _("A resident ID-card number is 17 digits followed by a digit "
                                  "or X; check \"%(value)s\".", value=raw))
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > dt.date.today():
        raise FieldError(field, _("Digits 7 to 14 of a resident ID-card number are the birth "
                                  "date; \"%(value)s\" holds no such date.", value=raw))
    if id_card_check_char(number[:17]) != number[17]:
        raise FieldError(field, _("\"%(value)s\" is not a valid resident ID-card number: its "
                                  "last character does not match the others (a typing "
                                  "mistake?).", value=raw))
    return number


def bank_account_key(text: str) -> str:
    """What the blind index of a bank account is computed over: its digits alone."""
    return re.sub(r"[\s\-]", "", _fold(text))


def normalise_bank_account(raw: str, field: str = "bank_account") -> str:
    """The account number as digits (spaces and dashes dropped); 8 to 32 of them."""
    if len(raw or "") > _RAW_MAX:
        raise FieldError(field, _("A bank account number has at most %(max)d digits.", max=32))
    number = bank_account_key(raw)
    refuse_shortened_number(number, field)
    if not number.isdigit() or not 8 <= len(number) <= 32:
        raise FieldError(field, _("A bank account number is 8 to 32 digits; check "
                                  "\"%(value)s\".", value=raw))
    return number


def normalise_bank_name(raw: str | None, field: str = "bank_name") -> str:
    """The bank and branch (开户行), spaces collapsed; at most ``BANK_NAME_MAX`` characters."""
    text = " ".join((raw or "").split())
    if len(text) > BANK_NAME_MAX:
        raise FieldError(field, _("At most %(max)d characters.", max=BANK_NAME_MAX))
    if any(ord(char) < 32 or 0xD800 <= ord(char) <= 0xDFFF for char in text):
        # encrypted as UTF-8, so the database's own refusal of such text never comes
        raise FieldError(field, _("The bank name holds characters that are not allowed."))
    return text
