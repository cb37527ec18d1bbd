"""The kernel's tables: encodings detected over the whole file, bad bytes named by row,
limits on rows, columns and cells, XLSX cell types, and writers that never write a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from tabular_files import inline_row, sheet_xml, workbook

from crm_core.tabular import (
    CsvWriter,
    Limits,
    TabularError,
    XlsxWriter,
    detect_encoding,
    neutralise,
    open_table,
    unneutralise,
    unneutralise_row,
)

CHINESE = "北京华宇科技有限公司"


def rows_of(path, limits=None):
    with open_table(path, path.name, limits=limits or Limits()) as table:
        return table.headers, [(row.number, row.cells) for row in table.rows()]


def utf8_lines(count):
    return [f"{CHINESE}{number},1381234{number:04d}\r\n".encode() for number in range(count)]


def test_a_utf8_file_with_a_bad_byte_late_is_stopped_at_that_row_not_garbled(tmp_path):
    lines = [b"name,phone\r\n", *utf8_lines(5000)]
    lines[2877] = lines[2877].replace("华".encode(), b"\xff")  # row 2,878 of the sheet
    path = tmp_path / "late.csv"
    path.write_bytes(b"".join(lines))
    assert detect_encoding(path) == "utf-8"
    with open_table(path, limits=Limits()) as table:
        rows = table.rows()
        assert next(rows).cells[0] == CHINESE + "0"
        with pytest.raises(TabularError, match="Row 2878 is not valid UTF-8 text"):
            list(rows)


def test_a_file_neither_utf8_nor_gb18030_gets_a_message_not_a_500(tmp_path):
    path = tmp_path / "latin.csv"
    # Bytes that are no UTF-8 and no GB18030 (0x80 and 0xFF never start a GB18030 character)
    path.write_bytes(b"name,phone\r\n" + b"\x80\xff\x80\xff,1\r\n" * 3000)
    with pytest.raises(TabularError, match="Row 2 is not valid GB18030/GBK text"):
        rows_of(path)


@pytest.mark.parametrize(("encoding", "detected"), [
    ("gbk", "gb18030"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16")])
def test_the_encoding_is_found_over_the_whole_file(tmp_path, encoding, detected):
    # ASCII for the first 100 KB: a guess from the first 8 KB would be wrong for GBK.
    text = "name,city\r\n" + "acme,x\r\n" * 15000 + f"{CHINESE},上海\r\n"
    path = tmp_path / "late-chinese.csv"
    path.write_bytes(text.encode(encoding))
    assert detect_encoding(path) == detected
    headers, rows = rows_of(path)
    assert headers == ["name", "city"] and rows[-1][1] == [CHINESE, "上海"]


def test_csv_limits_on_rows_columns_cells_and_lines(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"name\r\n" + b"a\r\n" * 20)
    with pytest.raises(TabularError, match="more than 10 rows"):
        rows_of(path, Limits(max_rows=10))
    path.write_bytes(b"name\r\n" + b"a," * 30 + b"b\r\n")
    with pytest.raises(TabularError, match="Row 2 has more than 20 columns"):
        rows_of(path, Limits(max_columns=20))
    path.write_bytes(b"name\r\n" + b"a" * 40000 + b"\r\n")
    with pytest.raises(TabularError, match="Row 2 has a cell longer than 32,767 characters"):
        rows_of(path)
    path.write_bytes(b"name\r\n" + b"a" * 200_000 + b"\r\n")
    with pytest.raises(TabularError, match="Row 2 has a cell longer than"):
        rows_of(path, Limits(max_cell_chars=300_000))
    path.write_bytes(b"name\r\n" + b"a" * 5000 + b"\r\n")
    with pytest.raises(TabularError, match="Row 2 is longer than 1,000 characters"):
        rows_of(path, Limits(max_line_chars=1000))
    path.write_bytes(b"name\r\nab\x00c\r\n")
    with pytest.raises(TabularError, match="Row 2 holds a NUL character"):
        rows_of(path)


def test_empty_trailing_columns_past_the_limit_are_no_problem(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(b"name,phone" + b"," * 50 + b"\r\nacme,1" + b"," * 50 + b"\r\n")
    assert rows_of(path, Limits(max_columns=5)) == (["name", "phone"], [(2, ["acme", "1"])])


def test_xlsx_cells_come_back_as_the_text_a_user_typed(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "手机", "日期", "时间", "比例", "真", "公式"])
    sheet.append([CHINESE, 13812345678.0, dt.datetime(2024, 5, 6),
                  dt.datetime(2024, 5, 6, 9, 30), 1.5, True, "=1+1"])
    sheet["C3"] = dt.date(2023, 1, 2)
    sheet["A3"] = "上海"
    path = tmp_path / "types.xlsx"
    book.save(path)
    headers, rows = rows_of(path)
    assert headers == ["名称", "手机", "日期", "时间", "比例", "真", "公式"]
    assert rows == [(2, [CHINESE, "13812345678", "2024-05-06", "2024-05-06 09:30:00", "1.5",
                         "TRUE", ""]),
                    (3, ["上海", "", "2023-01-02", "", "", "", ""])]


def test_xlsx_rich_text_keeps_its_runs_and_drops_phonetic_guides(tmp_path):
    strings = [b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main"><si><t>name</t></si>'
               b'<si><r><t>\xe5\x8c\x97\xe4\xba\xac</t></r><r><t>acme</t></r>'
               b'<rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si></sst>']
    sheet = sheet_xml(['<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
                       '<row r="2"><c r="B2" t="s"><v>1</v></c></row>'])
    path = workbook(tmp_path / "rich.xlsx", sheet, strings)
    assert rows_of(path) == (["name"], [(2, [""])])
    sheet = sheet_xml(['<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>0</v></c>'
                       '</row>', '<row r="2"><c r="B2" t="s"><v>1</v></c></row>'])
    path = workbook(tmp_path / "rich2.xlsx", sheet, strings)
    assert rows_of(path) == (["name", "name"], [(2, ["", "北京acme"])])


def test_a_damaged_or_protected_workbook_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TabularError, match="not an Excel workbook we can read"):
        rows_of(path)
    path = workbook(tmp_path / "broken.xlsx", [b"<worksheet><sheetData><row>"])
    with pytest.raises(TabularError, match="not an Excel workbook we can read"):
        rows_of(path)


def test_a_sheet_with_too_many_columns_is_refused(tmp_path):
    path = workbook(tmp_path / "wide.xlsx", sheet_xml([
        inline_row(1, "name"), '<row r="2"><c r="ZZ2" t="inlineStr"><is><t>x</t></is></c></row>']))
    with pytest.raises(TabularError, match="Row 2 has more than 100 columns"):
        rows_of(path, Limits(max_columns=100))


FORMULAS = ["=HYPERLINK(\"http://evil\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
            "=1+1"]
SAFE = ["-12.50", "+8613812345678", "北京", "", "a=b"]


def test_neutralise_guards_formula_starters_and_leaves_numbers():
    for value in FORMULAS:
        assert neutralise(value) == "'" + value and unneutralise(neutralise(value)) == value
    for value in SAFE:
        assert neutralise(value) == value and unneutralise(value) == value
    row = ["'=1+1", "x"]
    assert unneutralise_row(row) == ["=1+1", "x"]
    plain = ["a", "b"]
    assert unneutralise_row(plain) is plain


def test_the_csv_writer_writes_no_formula_and_a_bom(tmp_path):
    path = tmp_path / "out.csv"
    with CsvWriter(path) as writer:
        writer.write(["=header", "b"])
        writer.write_rows([FORMULAS, SAFE])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["'=header", "b"]
    assert rows[1] == ["'" + value for value in FORMULAS] and rows[2] == SAFE


def test_the_xlsx_writer_writes_strings_never_formulas(tmp_path):
    path = tmp_path / "out.xlsx"
    with XlsxWriter(path, "Report") as writer:
        writer.write(["=header"])
        writer.write_rows([FORMULAS])
    with zipfile.ZipFile(path) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    sheet = load_workbook(path).active
    assert [cell.value for cell in sheet[2]] == ["'" + value.replace("\r", "_x000D_")
                                                 if value == "\rx" else "'" + value
                                                 for value in FORMULAS]
    assert sheet["A1"].value == "'=header"


def test_a_file_of_exactly_the_row_limit_is_read_and_one_more_row_is_refused(tmp_path):
    # The limit counts customers, not lines: a million-row file under its header imports.
    csv_path = tmp_path / "exact.csv"
    csv_path.write_bytes(b"\r\n\r\nname\r\n" + b"a\r\n" * 10)  # blank lines, then the header
    assert len(rows_of(csv_path, Limits(max_rows=10))[1]) == 10
    csv_path.write_bytes(b"name\r\n" + b"a\r\n" * 11)
    with pytest.raises(TabularError, match="more than 10 rows"):
        rows_of(csv_path, Limits(max_rows=10))
    book = Workbook()
    sheet = book.active
    sheet.append(["name"])
    for number in range(10):
        sheet.append([f"客户{number}"])
    xlsx_path = tmp_path / "exact.xlsx"
    book.save(xlsx_path)
    assert len(rows_of(xlsx_path, Limits(max_rows=10))[1]) == 10
    sheet.append(["one more"])
    book.save(xlsx_path)
    with pytest.raises(TabularError, match="more than 10 rows"):
        rows_of(xlsx_path, Limits(max_rows=10))


def test_a_title_above_the_header_is_left_out_in_csv_and_xlsx(tmp_path):
    # Other systems' exports name the report and its date above the header row.
    csv_path = tmp_path / "export.csv"
    csv_path.write_text("客户列表,,,\r\n导出时间：2026-12-01,,,\r\n\r\n"
                        "客户名称,手机,城市,备注\r\n北京华宇,13812345678,北京,\r\n",
                        encoding="utf-8-sig")
    book = Workbook()
    sheet = book.active
    sheet.append(["客户列表"])
    sheet.merge_cells("A1:D1")
    sheet.append(["客户名称", "手机", "城市", "备注"])
    sheet.append(["北京华宇", "13812345678", "北京", None])
    xlsx_path = tmp_path / "export.xlsx"
    book.save(xlsx_path)
    for path, header_number, titles in ((csv_path, 4, 2), (xlsx_path, 2, 1)):
        with open_table(path, path.name) as table:
            assert table.headers == ["客户名称", "手机", "城市", "备注"]
            assert (table.header_number, table.skipped) == (header_number, titles)
            rows = [(row.number, row.cells) for row in table.rows()]
        assert rows == [(header_number + 1, ["北京华宇", "13812345678", "北京", ""])]


def test_a_short_first_row_stays_the_header_when_no_row_below_is_much_wider(tmp_path):
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("name,phone\r\na\r\nb,1,2\r\nc,1,2,3\r\n", encoding="utf-8")
    single = tmp_path / "single.csv"
    single.write_text("name\r\na\r\nb\r\n", encoding="utf-8")
    assert rows_of(narrow) == (["name", "phone"], [(2, ["a", ""]), (3, ["b", "1"]),
                                                   (4, ["c", "1"])])
    assert rows_of(single) == (["name"], [(2, ["a"]), (3, ["b"])])


def test_a_group_row_above_the_header_is_left_out_and_names_the_header_gaps(tmp_path):
    # Reports group their columns under a row of their own ("基本信息" over four columns).
    grouped = tmp_path / "grouped.csv"
    grouped.write_text("客户资料导出,,,,\r\n基本信息,,,联系方式,\r\n"
                       "客户名称,城市,行业,手机,座机\r\n北京华宇,北京,制造业,13812345678,\r\n",
                       encoding="utf-8-sig")
    assert rows_of(grouped) == (["客户名称", "城市", "行业", "手机", "座机"],
                                [(4, ["北京华宇", "北京", "制造业", "13812345678", ""])])
    # A header on two rows, as merged cells leave it: 客户名称 and 备注 merged down both
    # rows (the lower cell empty), 联系方式 merged over 手机 and 座机.
    book = Workbook()
    sheet = book.active
    sheet.append(["客户列表"])
    sheet.append(["客户名称", "联系方式", None, "备注"])
    sheet.append([None, "手机", "座机", None])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:C2")
    sheet.merge_cells("D2:D3")
    sheet.append(["北京华宇", "13812345678", "010-62345678", "老客户"])
    sheet.append(["上海新恒", "13912345678", None, None])
    two_rows = tmp_path / "two-rows.xlsx"
    book.save(two_rows)
    with open_table(two_rows, two_rows.name) as table:
        assert table.headers == ["客户名称", "手机", "座机", "备注"]
        assert (table.header_number, table.skipped) == (3, 2)
        assert [row.cells[0] for row in table.rows()] == ["北京华宇", "上海新恒"]


def test_a_header_above_a_sparse_first_row_stays_the_header(tmp_path):
    sparse = tmp_path / "sparse.csv"
    sparse.write_text("名称,电话,城市,备注\r\n北京华宇,,,\r\n上海新恒,139,上海,老客户\r\n",
                      encoding="utf-8")
    headers, rows = rows_of(sparse)
    assert headers == ["名称", "电话", "城市", "备注"]
    assert [number for number, _cells in rows] == [2, 3]


def test_cells_written_as_excel_text_formulas_are_read_as_their_text(tmp_path):
    # Systems export long numbers as ="..." so that Excel keeps their digits.
    path = tmp_path / "formula.csv"
    path.write_text('客户名称,手机,备注\r\n甲公司,="13912345678","=""0571-88886666"""\r\n'
                    '乙公司,13812345678,="他说""好"""\r\n丙公司,=1+2,a="b"\r\n',
                    encoding="gbk")
    assert rows_of(path)[1] == [(2, ["甲公司", "13912345678", "0571-88886666"]),
                                (3, ["乙公司", "13812345678", '他说"好"']),
                                (4, ["丙公司", "=1+2", 'a="b"'])]
