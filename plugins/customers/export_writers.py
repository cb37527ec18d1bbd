"""File writers of the customer export, and phone numbers as people write them.

The writers are the kernel's (``toolkit.open_writer``): CSV in UTF-8 with a BOM and XLSX,
streamed, every text cell a spreadsheet would run as a formula neutralised with a leading
``'``. Until the toolkit names them, the customers plugin reaches them directly.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from crm_core.toolkit import TABLE_FORMATS as FORMATS
from crm_core.toolkit import CsvWriter, TableWriter, neutralise, open_writer

__all__ = ["FORMATS", "CsvWriter", "ExportWriter", "neutralise", "open_writer", "readable_phone"]

ExportWriter = TableWriter
# Chinese area codes with two digits after the trunk 0: Beijing (10) and 2x; the rest have 3.
_TWO_DIGIT_AREAS = ("10", "2")


def readable_phone(e164: str) -> str:
    """An E.164 number (``;ext=`` for an extension) as people write it.

    Chinese numbers in the national form (``138 1234 5678``, ``010 1234 5678 转 89``),
    others in the international form (``+1 650-253-0000``).
    """
    if len(e164) == 14 and e164[3] == "1" and e164.startswith("+86"):  # a mobile, fast
        return f"{e164[3:6]} {e164[6:10]} {e164[10:]}"
    if e164.startswith("+86"):
        number, _sep, extension = e164.partition(";ext=")
        digits = number[3:]
        if len(digits) == 11 and digits[0] == "1":
            text = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        else:
            area = 2 if digits.startswith(_TWO_DIGIT_AREAS) else 3
            local = digits[area:]
            text = f"0{digits[:area]} {local[:-4]} {local[-4:]}" if len(local) > 4 else \
                f"0{digits}"
        return f"{text} 转 {extension}" if extension else text
    return _international(e164)


@lru_cache(maxsize=4096)
def _international(e164: str) -> str:
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
