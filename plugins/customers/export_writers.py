"""File writers of the customer export, and phone numbers as people write them.

The writers are the kernel's (``toolkit.open_writer``): CSV in UTF-8 with a BOM and XLSX,
streamed, every text cell a spreadsheet would run as a formula neutralised with a leading
``'``. Until the toolkit names them, the customers plugin reaches them directly.
"""

from __future__ import annotations

from functools import lru_cache

from crm_core.toolkit import TABLE_FORMATS as FORMATS
from crm_core.toolkit import CsvWriter, TableWriter, format_phone, neutralise, open_writer

__all__ = ["FORMATS", "CsvWriter", "ExportWriter", "neutralise", "open_writer", "readable_phone"]

ExportWriter = TableWriter


def readable_phone(e164: str) -> str:
    """An E.164 number (``;ext=`` for an extension) as the pages show it (the kernel's
    ``format_phone``): Chinese numbers in the national form (``138 1234 5678``,
    ``010 1234 5678 转 89``), others in E.164 (``+16502530000``)."""
    if len(e164) == 14 and e164[3] == "1" and e164.startswith("+86"):  # a mobile, fast
        return f"{e164[3:6]} {e164[6:10]} {e164[10:]}"
    number, _sep, extension = e164.partition(";ext=")
    text = _formatted(number)
    return f"{text} 转 {extension}" if extension else text


@lru_cache(maxsize=4096)
def _formatted(number: str) -> str:
    return format_phone(number)
