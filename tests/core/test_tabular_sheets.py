"""Which sheet of a workbook is read, and the total rows at the end of a report."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from crm_core.tabular import Limits, TabularError, open_table

HEADER = ["客户名称", "手机", "城市", "备注"]


def book_of(path, sheets, hidden=()):
    """Save a workbook of ``sheets`` ({name: rows}) to ``path``; ``hidden`` sheets hidden."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def read(path, sheet=""):
    with open_table(path, path.name, limits=Limits(), sheet=sheet) as table:
        return (table.sheet, table.sheets, table.headers,
                [(row.number, row.cells, row.total) for row in table.rows()])


def test_an_empty_first_sheet_is_passed_over_for_the_first_sheet_with_data(tmp_path):
    path = book_of(tmp_path / "two.xlsx", {"封面": [], "客户": [HEADER, ["华宇", "", "北京"]]})
    sheet, sheets, headers, rows = read(path)
    assert (sheet, sheets, headers) == ("客户", ["封面", "客户"], HEADER)
    assert rows == [(2, ["华宇", "", "北京", ""], False)]


def test_a_hidden_sheet_is_neither_read_nor_offered(tmp_path):
    path = book_of(tmp_path / "hidden.xlsx", {"lookup": [["code", "name"], ["1", "x"]],
                                              "客户": [HEADER, ["华宇"]]},
                   hidden={"lookup"})
    sheet, sheets, headers, _rows = read(path)
    assert (sheet, sheets, headers) == ("客户", ["客户"], HEADER)


def test_a_named_sheet_is_read_and_an_unknown_name_lists_the_sheets(tmp_path):
    path = book_of(tmp_path / "named.xlsx", {"说明": [["请在第二页填写客户"]],
                                             "客户": [HEADER, ["华宇"], ["宏达"]]})
    assert read(path)[0] == "说明"  # the first sheet holding a cell, as before
    sheet, _sheets, headers, rows = read(path, "客户")
    assert (sheet, headers, [number for number, _cells, _total in rows]) == \
        ("客户", HEADER, [2, 3])
    with pytest.raises(TabularError, match="no sheet called 联系人; its sheets are 说明, 客户"):
        read(path, "联系人")
    empty = book_of(tmp_path / "empty.xlsx", {"客户": [HEADER], "空": []})
    with pytest.raises(TabularError, match="The sheet 空 is empty"):
        read(empty, "空")


def test_the_last_rows_naming_a_total_are_marked_and_no_other_row_is(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("客户名称,手机,城市,备注\r\n"
                    "华宇,13812345678,北京,\r\n"
                    "合计,,,\r\n"  # a subtotal in the middle is a row like any other
                    "Total,13912345678,上海,a customer called Total fills its row\r\n"
                    "宏达,13712345678,苏州,\r\n"
                    "\r\n"
                    "合计：,,2,\r\n"
                    "共 184 条记录,,,\r\n", encoding="utf-8-sig")
    _sheet, _sheets, headers, rows = read(path)
    assert headers == HEADER
    assert [(number, cells[0], total) for number, cells, total in rows] == [
        (2, "华宇", False), (3, "合计", False), (4, "Total", False), (5, "宏达", False),
        (7, "合计：", True), (8, "共 184 条记录", True)]


def test_a_total_in_the_second_column_after_an_empty_row_number_is_marked(tmp_path):
    path = book_of(tmp_path / "numbered.xlsx", {"Sheet": [
        ["序号", "客户名称", "手机", "城市", "金额"],
        [1, "华宇", "13812345678", "北京", 100],
        [None, "Grand total", None, None, 100]]})
    rows = read(path)[3]
    assert [(cells[1], total) for _number, cells, total in rows] == [
        ("华宇", False), ("Grand total", True)]
