"""Reading the files users import: the kernel's tabular reader, plus what is customer's.

``crm_core.tabular`` streams CSV (encoding detected) and XLSX under the upload limits and
smooths Excel's habits over (a BOM, blank rows, trailing empty cells, numbers stored as
floats, dates). Here the header row is matched to customer fields from Chinese or English
names (``guess_field``), a first row that looks like a customer is refused, and the ``'`` a
bad-rows report put before a formula starter is taken off again (``import_rows``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import (
    ImportField,
    Limits,
    Row,
    Table,
    TabularError,
    cell_text,
    detect_encoding,
    file_kind,
    header_lookup,
    unneutralise_row,
)
from crm_core.toolkit import guess_mapping as _kernel_guess
from crm_core.toolkit import open_table as _open_table

__all__ = ["FIELDS", "HEADER_CHARS", "MULTI_FIELDS", "ImportFileError", "Row", "TableFile",
           "cell_text", "detect_encoding", "file_kind", "guess_field", "guess_mapping",
           "import_rows", "open_table", "preview"]

# Customer fields a column can be mapped to, with their labels (the select on the page).
FIELDS: dict[str, Any] = {
    "name": _l("Name"), "code": _l("Code"), "kind": _l("Kind (company or person)"),
    "phones": _l("Phones"), "emails": _l("Emails"), "uscc": _l("Unified social credit code"),
    "customer_type": _l("Customer type (by name)"), "industry": _l("Industry"),
    "province": _l("Province"), "city": _l("City"), "country": _l("Country code"),
    "address": _l("Address"), "website": _l("Website"), "source": _l("Source"),
    "level": _l("Level"), "status": _l("Status"), "owner": _l("Owner (user name)"),
    "tags": _l("Tags (comma separated)"), "notes": _l("Notes"),
}
# Fields several columns may fill (their values are joined); the others take one column.
MULTI_FIELDS = frozenset({"phones", "emails", "tags", "notes"})

# Header spellings, compared after folding width, case, spaces and punctuation.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "客户名称", "公司名称", "客户", "企业名称", "单位名称", "姓名", "客户姓名",
             "name", "customer", "customername", "company", "companyname"),
    "code": ("编码", "客户编码", "编号", "客户编号", "代码", "code", "customercode", "no",
             "number"),
    "kind": ("类别", "客户类别", "性质", "kind"),
    "phones": ("手机", "手机号", "手机号码", "电话", "联系电话", "电话号码", "座机", "固话",
               "phone", "phones", "mobile", "tel", "telephone", "phonenumber"),
    "emails": ("邮箱", "电子邮件", "电子邮箱", "邮件", "email", "emails", "mail", "e-mail"),
    "uscc": ("统一社会信用代码", "信用代码", "社会信用代码", "uscc", "creditcode"),
    "customer_type": ("类型", "客户类型", "type", "customertype"),
    "industry": ("行业", "所属行业", "industry"),
    "province": ("省份", "省", "省份地区", "province", "state"),
    "city": ("城市", "市", "city"),
    "country": ("国家", "国家地区", "country"),
    "address": ("地址", "详细地址", "联系地址", "公司地址", "address"),
    "website": ("网址", "网站", "主页", "官网", "website", "url", "homepage", "web"),
    "source": ("来源", "客户来源", "source"),
    "level": ("级别", "客户级别", "等级", "level", "grade"),
    "status": ("状态", "客户状态", "status"),
    "owner": ("负责人", "销售", "业务员", "所有人", "owner", "salesrep"),
    "tags": ("标签", "tags", "tag", "labels"),
    "notes": ("备注", "说明", "notes", "note", "remark", "remarks", "comment", "comments"),
}
# The customer fields as the kernel's import machinery declares fields: the kernel guesses
# the mapping (``toolkit.guess_mapping``) from these aliases, folded as it folds headers.
IMPORT_FIELDS = [ImportField(name, label, aliases=_SYNONYMS[name],
                             multiple=name in MULTI_FIELDS) for name, label in FIELDS.items()]
_LOOKUP = header_lookup(IMPORT_FIELDS, labels=False)


def guess_field(header: str) -> str:
    """The customer field a column header names ("客户名称" gives "name"), or ""."""
    return _kernel_guess([header or ""], IMPORT_FIELDS, lookup=_LOOKUP)[0]


def guess_mapping(headers: list[str], saved: dict[str, str] | None = None) -> list[str]:
    """One field per column: a saved template's choice for the header, else the guess.

    A single-value field guessed for two columns keeps the first one only.
    """
    return _kernel_guess(headers, IMPORT_FIELDS, saved, lookup=_LOOKUP)


# The kernel's reader (toolkit.open_table) does the reading; the old names stay for callers.
ImportFileError = TabularError
TableFile = Table
HEADER_CHARS = 200  # a header (and a sample cell) as the mapping page shows it


def _looks_like_data(cell: str) -> bool:
    digits = re.sub(r"[\s\-+()]", "", cell)
    return "@" in cell or (len(digits) >= 5 and digits.isdigit())


def open_table(path: str | Path, filename: str, encoding: str = "",
               limits: Limits | None = None) -> Table:
    """Open an uploaded file for reading under the upload limits; ImportFileError when it is
    empty, of another kind, over a limit or starts with data instead of a header row.

    Read files only in a job or the command line, never in a web request."""
    table = _open_table(path, filename, encoding=encoding, limits=limits)
    if not any(guess_field(header) for header in table.headers) \
            and any(_looks_like_data(header) for header in table.headers):
        table.close()
        raise ImportFileError(_("The first row of the file should name the columns (such as "
                                "客户名称, 手机, 邮箱), but row %(row)d looks like a customer. "
                                "Add a header row and upload the file again.",
                                row=table.header_number))
    return table


def import_rows(table: Table) -> Iterator[Row]:
    """The table's data rows, cells as the user typed them: the ``'`` our own bad-rows file
    put before a formula starter (``'=1+1``) is taken off, so that file imports again."""
    for row in table.rows():
        cells = unneutralise_row(row.cells)
        yield row if cells is row.cells else Row(row.number, cells)


def preview(table: Table, rows: int = 5) -> tuple[list[str], list[list[str]]]:
    """The headers and the first ``rows`` rows, each text cut for the mapping page."""
    headers = [header[:HEADER_CHARS] for header in table.headers]
    sample = [[cell[:HEADER_CHARS] for cell in row.cells]
              for row in itertools.islice(import_rows(table), rows)]
    return headers, sample
