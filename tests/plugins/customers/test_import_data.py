"""Files the import tests feed in: Chinese/English headers, GBK or UTF-8, CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

from plugins.customers.validation import uscc_check_char

USCC = "91110108MA01C3XK5" + uscc_check_char("91110108MA01C3XK5")
BAD_USCC = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")

HEADERS = ["客户名称", "客户编码", "手机", "邮箱", "统一社会信用代码", "行业", "省份", "备注"]
GOOD_ROWS = [
    ["北京华宇科技有限公司", "HY001", "13812345678", "sales@huayu.cn", USCC, "软件", "北京", ""],
    ["上海明达贸易有限公司", "MD002", "021-62345678", "info@mingda.com", "", "贸易", "上海",
     "老客户"],
    ["ACME Co., Ltd.", "AC003", "+1 650 253 0000", "hello@acme.com", "", "Retail", "", ""],
]
BAD_ROWS = [
    ["坏手机有限公司", "BAD1", "1381234", "", "", "", "", ""],           # bad mobile
    ["坏信用代码公司", "BAD2", "", "", BAD_USCC, "", "", ""],             # bad USCC
    ["坏邮箱公司", "BAD3", "", "not-an-email", "", "", "", ""],           # bad email
    ["", "BAD4", "13912345678", "", "", "", "", ""],                    # missing name
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8",
              headers: list[str] = HEADERS, blank_lines_before: int = 0) -> Path:
    """A CSV as Excel writes it: CRLF line ends, quotes only where needed."""
    lines = [","] * blank_lines_before + [",".join(_quote(cell) for cell in row)
                                          for row in [headers, *rows]]
    path.write_bytes(("\r\n".join(lines) + "\r\n,,,\r\n").encode(encoding))
    return path


def _quote(cell: str) -> str:
    return f'"{cell}"' if "," in cell or '"' in cell else cell
