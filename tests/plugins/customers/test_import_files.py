"""Reading import files: encodings, Excel's quirks, header guessing and refusals."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from openpyxl import Workbook
from test_import_data import GOOD_ROWS, HEADERS, USCC, write_csv

from crm_core.imports.mapping import check_header_row
from crm_core.tabular import TabularError as ImportFileError
from crm_core.tabular import open_table
from crm_core.tabular.text import detect_encoding
from crm_core.toolkit import guess_mapping as kernel_guess
from plugins.customers.importing.specs import IMPORT_FIELDS


def guess_mapping(headers, saved=None):
    """The mapping the kernel guesses for the customer spec's fields."""
    return kernel_guess(headers, IMPORT_FIELDS, saved)


def read_header(path, filename):
    """Open as the import's first job does: the header row must name the columns."""
    with open_table(path, filename) as table:
        check_header_row(SimpleNamespace(fields=IMPORT_FIELDS), table)


@pytest.mark.parametrize(("encoding", "detected"), [
    ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig")])
def test_csv_in_gbk_or_utf8_is_read_without_asking(tmp_path, encoding, detected):
    path = write_csv(tmp_path / "客户.csv", GOOD_ROWS, encoding=encoding, blank_lines_before=1)
    assert detect_encoding(path) == detected
    with open_table(path, "客户.csv") as table:
        assert table.headers == HEADERS
        assert table.header_number == 2
        rows = list(table.rows())
    assert [row.cells[0] for row in rows] == [row[0] for row in GOOD_ROWS]
    assert rows[0].number == 3 and rows[0].cells[1] == "HY001"
    assert rows[2].cells[0] == "ACME Co., Ltd."  # quoted comma kept; trailing ",,," row gone


def test_excel_unicode_text_utf16_with_tabs_is_read(tmp_path):
    path = tmp_path / "客户.txt"
    text = "\r\n".join("\t".join(row) for row in [HEADERS, *GOOD_ROWS])
    path.write_bytes(text.encode("utf-16"))
    with open_table(path, "客户.txt") as table:
        assert table.encoding == "utf-16" and table.headers == HEADERS
        assert [row.cells[0] for row in table.rows()] == [row[0] for row in GOOD_ROWS]


def test_headers_in_chinese_or_english_are_mapped_to_fields():
    assert guess_mapping(["客户名称", "联系电话", "电子邮件", "统一社会信用代码", "省", "市",
                          "客户类型", "负责人", "标签", "备注", "不知道"]) == [
        "name", "phones", "emails", "uscc", "province", "city", "customer_type", "owner",
        "tags", "notes", ""]
    assert guess_mapping(["Name", "Code", "Phone", "E-mail", "Mobile", "name"]) == [
        "name", "code", "phones", "emails", "phones", ""]
    assert guess_mapping(["公司", "Tel"], saved={"公司": "notes"}) == ["notes", "phones"]


def test_xlsx_numbers_and_dates_become_the_text_a_user_typed(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(["名称", "手机", "统一社会信用代码", "成立日期", None, None])
    sheet.append(["北京华宇科技", 13812345678.0, USCC, dt.datetime(2024, 5, 6), None, None])
    sheet.append(["上海明达", 13912345678, None, None])
    sheet.append([None, None])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    with open_table(path, "customers.xlsx") as table:
        assert table.headers == ["名称", "手机", "统一社会信用代码", "成立日期"]
        rows = list(table.rows())
    assert [row.number for row in rows] == [3, 4]
    assert rows[0].cells == ["北京华宇科技", "13812345678", USCC, "2024-05-06"]
    assert rows[1].cells == ["上海明达", "13912345678", "", ""]


def test_empty_foreign_and_headerless_files_are_refused_with_a_reason(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"):
        open_table(empty, "empty.csv")
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\r\n,,\r\n")
    with pytest.raises(ImportFileError, match="empty"):
        open_table(blank, "blank.csv")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 ...")
    with pytest.raises(ImportFileError, match="CSV or Excel file"):
        open_table(pdf, "report.pdf")
    data = write_csv(tmp_path / "data.csv", [], headers=["北京华宇科技", "13812345678"])
    with pytest.raises(ImportFileError, match="row 1 looks like data"):
        read_header(data, "data.csv")


def test_headers_of_other_systems_exports_are_mapped_despite_notes_and_place_words():
    assert guess_mapping(["*客户名称(必填)", "手机号码（选填）", "企业邮箱【可选】", "所在省份",
                          "所在城市", "所属行业", "客户等级", "客户负责人", "公司网址",
                          "备注信息", "所属部门", "客户经理"]) == [
        "name", "phones", "emails", "province", "city", "industry", "level", "owner",
        "website", "notes", "", ""]  # 所属部门: no such field; 客户经理: owner taken already
    assert guess_mapping(["【客户名称】", "Customer Name", "Email Address"]) == [
        "name", "", "emails"]


def test_numbered_contact_columns_and_a_salesforce_export_are_mapped():
    assert guess_mapping(["客户名称", "联系人", "联系人手机", "电话2", "手机号码1", "联系人邮箱",
                          "微信", "QQ", "客户行业", "省份/直辖市", "备注"]) == [
        "name", "notes", "phones", "phones", "phones", "emails", "notes", "notes",
        "industry", "province", "notes"]
    assert guess_mapping(["Account Name", "Billing Street", "Billing City",
                          "Billing State/Province", "Phone", "Mobile Phone", "Account Owner",
                          "Description"]) == [
        "name", "address", "city", "province", "phones", "phones", "owner", "notes"]
