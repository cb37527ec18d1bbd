"""Hostile XLSX files are refused within seconds, in bounded memory, with a clear message.

Each bomb is a real zip built here: millions of tiny shared strings, one cell of hundreds of
megabytes, two million rows of empty cells, a DTD. The reader's memory growth is sampled
while it runs (psutil), so a reader that held the whole part would fail the test.
"""

from __future__ import annotations

import threading
import time

import psutil
import pytest
from tabular_files import empty_rows, huge_cell, inline_row, shared_strings, sheet_xml, workbook

from crm_core.tabular import Limits, TabularError, open_table

MB = 1 << 20


class Peak:
    """The largest growth of this process's RSS while the block runs."""

    def __enter__(self) -> Peak:
        self.process = psutil.Process()
        self.base = self.process.memory_info().rss
        self.peak = self.base
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        self.started = time.monotonic()
        return self

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.monotonic() - self.started
        self.running = False
        self.thread.join()
        self.growth = (self.peak - self.base) / MB


def read_all(path, limits):
    with open_table(path, path.name, limits=limits) as table:
        return sum(1 for _row in table.rows())


# Every guard but the one under test set out of the way.
NO_RATIO = {"max_zip_ratio": 10**9, "max_unzipped_mb": 10**6, "max_shared_strings_mb": 10**6}


@pytest.fixture(scope="module")
def string_bomb(tmp_path_factory):
    """10 million shared strings (170 MB unpacked) in a zip of about 400 KB."""
    path = tmp_path_factory.mktemp("bombs") / "strings.xlsx"
    return workbook(path, sheet_xml([inline_row(1, "name")]),
                    shared_strings(10_000_000, declared=False))


@pytest.mark.parametrize("limits, message", [
    (Limits(), "packed more than 200 times"),
    (Limits(**NO_RATIO), "more than 1,000,000 different texts"),
    (Limits(max_zip_ratio=10**9, max_shared_strings_mb=100),
     "The texts of this workbook take more than 100 MB"),
], ids=["ratio", "count", "size"])
def test_ten_million_shared_strings_are_refused_fast_and_flat(string_bomb, limits, message):
    assert string_bomb.stat().st_size < 1 * MB
    with Peak() as peak, pytest.raises(TabularError, match=message):
        read_all(string_bomb, limits)
    assert peak.seconds < 10 and peak.growth < 150, (peak.seconds, peak.growth)


def test_a_declared_count_over_the_limit_is_refused_before_parsing(tmp_path):
    path = workbook(tmp_path / "declared.xlsx", sheet_xml([inline_row(1, "name")]),
                    shared_strings(2_000_000, declared=True))
    with Peak() as peak, pytest.raises(TabularError, match="different texts"):
        read_all(path, Limits(**NO_RATIO))
    assert peak.seconds < 2, peak.seconds


@pytest.mark.parametrize("limits, message", [
    (Limits(), "packed more than"),
    (Limits(**NO_RATIO), "Row 2 has a cell longer than 32,767 characters"),
], ids=["ratio", "cell"])
def test_a_cell_of_200_mb_is_refused_fast_and_flat(tmp_path, limits, message):
    path = workbook(tmp_path / "cell.xlsx", huge_cell(200))
    assert path.stat().st_size < 1 * MB
    with Peak() as peak, pytest.raises(TabularError, match=message):
        read_all(path, limits)
    assert peak.seconds < 5 and peak.growth < 50, (peak.seconds, peak.growth)


@pytest.mark.parametrize("limits, message", [
    (Limits(), "packed more than"),
    (Limits(**NO_RATIO), "more than 1,000,000 rows"),
], ids=["ratio", "rows"])
def test_two_million_empty_rows_are_refused_fast_and_flat(tmp_path, limits, message):
    path = workbook(tmp_path / "rows.xlsx", empty_rows(2_000_000))
    assert path.stat().st_size < 200 * 1024  # the report's bomb: 157 KB
    with Peak() as peak, pytest.raises(TabularError, match=message):
        read_all(path, limits)
    assert peak.seconds < 3 and peak.growth < 50, (peak.seconds, peak.growth)


def test_a_row_number_past_the_limit_with_a_value_is_refused_at_once(tmp_path):
    path = workbook(tmp_path / "far.xlsx", sheet_xml([inline_row(1, "name"),
                                                      inline_row(5_000_000, "x")]))
    with pytest.raises(TabularError, match="more than 1,000,000 rows"):
        read_all(path, Limits())


def test_a_formatted_empty_row_far_down_is_no_problem(tmp_path):
    path = workbook(tmp_path / "styled.xlsx", sheet_xml([
        inline_row(1, "name"), inline_row(2, "北京"), '<row r="1048576" ht="20"/>']))
    assert read_all(path, Limits()) == 1


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
    '<!DOCTYPE worksheet SYSTEM "file:///etc/passwd">',
    '<!DOCTYPE worksheet>',
], ids=["entities", "external", "bare"])
def test_a_workbook_with_a_dtd_is_refused_with_a_clear_message(tmp_path, prolog):
    path = workbook(tmp_path / "dtd.xlsx", sheet_xml([inline_row(1, "name")], prolog=prolog))
    with pytest.raises(TabularError, match=r"contains a DTD \(<!DOCTYPE>\)"):
        read_all(path, Limits())


def test_an_endless_attribute_is_refused_without_holding_it(tmp_path):
    def sheet():
        yield from sheet_xml([inline_row(1, "name")])
    def endless():
        yield b'<?xml version="1.0"?><worksheet><sheetData><row r="1" x="'
        block = b"a" * MB
        for _ in range(100):
            yield block
        yield b'"/></sheetData></worksheet>'
    path = workbook(tmp_path / "attr.xlsx", endless())
    with Peak() as peak, pytest.raises(TabularError, match="endless piece of XML"):
        read_all(path, Limits(**NO_RATIO))
    assert peak.growth < 50, peak.growth


def test_an_xlsx_unpacking_past_the_limit_is_refused(tmp_path):
    path = workbook(tmp_path / "big.xlsx", huge_cell(30))
    with pytest.raises(TabularError, match="unpacks to more than 20 MB"):
        read_all(path, Limits(max_unzipped_mb=20, max_zip_ratio=10**9))


def test_a_dtd_in_any_part_is_refused(tmp_path):
    from tabular_files import WORKBOOK

    prolog = '<?xml version="1.0" encoding="UTF-8"?>'
    doctype = WORKBOOK.replace(prolog, prolog + '<!DOCTYPE workbook [<!ENTITY x "y">]>')
    path = workbook(tmp_path / "wb.xlsx", sheet_xml([inline_row(1, "name")]),
                    workbook_xml=doctype)
    with pytest.raises(TabularError, match="contains a DTD"):
        read_all(path, Limits())
