"""Excel 97-2003 workbooks (.xls): read like the other tables, refused with a reason when
they cannot be."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_core.tabular import Limits, TabularError, file_kind, open_table

EXPORT = Path(__file__).parent / "files" / "old-system-export.xls"


def test_an_xls_export_is_read_from_the_sheet_asked_for_with_its_title_and_total(tmp_path):
    with open_table(EXPORT, EXPORT.name, limits=Limits()) as table:
        # the first visible sheet holding a cell; the hidden "lookup" is never offered
        assert (table.sheet, table.sheets) == ("导出说明", ["导出说明", "客户"])
    with open_table(EXPORT, EXPORT.name, limits=Limits(), sheet="客户") as table:
        assert (table.header_number, table.skipped) == (2, 1)
        assert table.headers == ["客户名称", "手机", "省份", "城市", "成立日期", "金额"]
        rows = [(row.number, row.cells, row.total) for row in table.rows()]
    assert rows == [
        (3, ["北京华宇科技有限公司", "13812345678", "北京", "北京", "2020-05-06", "12000.5"],
         False),
        (4, ["王晓燕", "13912345678", "浙江", "宁波", "", "0"], False),
        (5, ["合计", "", "", "", "", "12000.5"], True)]


def test_xls_is_known_by_its_name_or_its_first_bytes_and_limits_hold(tmp_path):
    head = EXPORT.read_bytes()[:8]
    assert file_kind("客户.xls", head) == "xls" and file_kind("export", head) == "xls"
    with pytest.raises(TabularError, match="no sheet called 联系人; its sheets are 导出说明, 客户"):
        open_table(EXPORT, EXPORT.name, sheet="联系人")
    with pytest.raises(TabularError, match="more than 1 rows"):
        with open_table(EXPORT, EXPORT.name, limits=Limits(max_rows=1), sheet="客户") as table:
            list(table.rows())
    fake = tmp_path / "fake.xls"
    fake.write_text("客户名称,手机\n华宇,13812345678\n", encoding="utf-8")
    with pytest.raises(TabularError, match="not an Excel 97-2003 workbook we can read"):
        open_table(fake, fake.name)
    with pytest.raises(TabularError, match=r"\.xlsx or \.xls"):
        file_kind("客户.numbers", b"\x00\x01")


def test_an_xls_over_the_size_cap_is_refused_before_it_is_parsed(tmp_path):
    big = tmp_path / "big.xls"
    with open(big, "wb") as handle:  # sparse: 65 MB on paper, a few bytes on disk
        handle.write(EXPORT.read_bytes()[:512])
        handle.truncate(65 << 20)
    with pytest.raises(TabularError, match="larger than 64 MB"):
        open_table(big, big.name)
