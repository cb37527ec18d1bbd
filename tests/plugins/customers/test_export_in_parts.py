"""A large CSV export is written by two processes (crm_core/imports/export_parts.py): the
file is byte for byte what one process writes, progress counts both halves, and a failure in
either leaves no file and no part behind."""

from __future__ import annotations

import os

import pytest

from crm_core.db import SCAN_CACHE_KIB, SQLITE_CACHE_KIB, get_session
from crm_core.imports import export_parts
from crm_core.testing import invoke_cli
from plugins.customers.exporting import services as export_file
from plugins.customers.records import bulk

PHONES = [["+8613812345678"], ["+862162345678", "+8613912345678"], ["+16502530000"], []]


@pytest.fixture(params=["sqlite", "postgresql"])
def customers_app(request, crm_make_app):
    """The customers plugin on SQLite, and on PostgreSQL when a test server is given."""
    return crm_make_app(plugins=["customers"], database=request.param)


@pytest.fixture
def exported(customers_app, tmp_path, monkeypatch):
    """``export(threshold)``: the CSV of 1,203 customers (batches of 100), written in two
    processes when it has ``threshold`` rows or more."""
    monkeypatch.setattr(export_file, "BATCH", 100)
    (tmp_path / "out").mkdir()
    with customers_app.app_context():
        session = get_session()
        bulk.insert_customers(session, [{
            "name": f"分批导出客户{number}", "phones": PHONES[number % len(PHONES)],
            "industry": "=危险公式" if number == 700 else "制造业"} for number in range(1203)])
        session.commit()

    def export(threshold: int, name: str) -> bytes:
        monkeypatch.setattr(export_parts, "PARALLEL_EXPORT_ROWS", threshold)
        out = tmp_path / "out" / name
        result = invoke_cli(customers_app, "customers", "export", "--format", "csv",
                            "--out", str(out))
        assert result.exit_code == 0, result.output
        return out.read_bytes()

    return export


def test_two_processes_write_the_file_one_process_writes(exported, tmp_path, monkeypatch):
    alone = exported(10_000_000, "alone.csv")
    writers = tmp_path / "writers.txt"
    original = export_file._rows

    def noted(session, batch, *args, **kwargs):
        with writers.open("a") as note:
            note.write(f"{os.getpid()}\n")
        return original(session, batch, *args, **kwargs)

    monkeypatch.setattr(export_file, "_rows", noted)
    split = exported(10, "split.csv")
    assert len(set(writers.read_text().split())) == 2  # two processes wrote batches
    assert split == alone
    text = split.decode("utf-8")
    assert text.startswith("\ufeff") and text.count("\ufeff") == 1  # one BOM, at the start
    lines = text.splitlines()
    assert len(lines) == 1 + 1203
    assert "分批导出客户0," in lines[1] and "分批导出客户1202," in lines[-1]
    assert "'=危险公式" in text  # the second half's cells are neutralised too
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["alone.csv", "split.csv"]


def test_progress_counts_both_halves(customers_app, exported, tmp_path):
    exported(10_000_000, "warm.csv")  # the customers exist
    seen: list[tuple[int, int]] = []
    with customers_app.test_request_context():
        export_parts_rows = export_file.write_export(
            get_session(), tmp_path / "out" / "p.csv", progress=lambda done, total: seen.append(
                (done, total)))
    assert export_parts_rows == 1203
    assert seen[-1] == (1203, 1203)
    assert [done for done, _total in seen] == sorted(done for done, _total in seen)


def test_a_failing_half_fails_the_export_and_leaves_no_file(customers_app, exported, tmp_path,
                                                           monkeypatch):
    exported(10_000_000, "warm.csv")
    monkeypatch.setattr(export_parts, "PARALLEL_EXPORT_ROWS", 10)
    original = export_file._rows

    def failing(session, batch, *args, **kwargs):
        if batch[0][0] > 700:  # only the second half's process fails
            raise ValueError("disk full")
        return original(session, batch, *args, **kwargs)

    monkeypatch.setattr(export_file, "_rows", failing)
    out = tmp_path / "out" / "failed.csv"
    with customers_app.test_request_context(), pytest.raises(RuntimeError,
                                                              match="part of the export"):
        export_file.write_export(get_session(), out)
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["warm.csv"]


def test_a_failure_here_stops_the_other_process_and_leaves_nothing(customers_app, exported,
                                                                  tmp_path, monkeypatch):
    exported(10_000_000, "warm.csv")
    monkeypatch.setattr(export_parts, "PARALLEL_EXPORT_ROWS", 10)
    original = export_file._rows

    def failing(session, batch, *args, **kwargs):
        if batch[0][0] < 300:  # this process's half
            raise ValueError("cancelled")
        return original(session, batch, *args, **kwargs)

    monkeypatch.setattr(export_file, "_rows", failing)
    with customers_app.test_request_context(), pytest.raises(ValueError, match="cancelled"):
        export_file.write_export(get_session(), tmp_path / "out" / "stopped.csv")
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["warm.csv"]


def test_both_processes_read_with_a_small_page_cache_and_the_app_gets_its_own_back(
        customers_app, exported, tmp_path, monkeypatch):
    # An export reads each page once: a full 32 MiB cache in each process added 45 MiB to a
    # million-customer export's peak memory and cost it speed (docs/PERFORMANCE.md).
    if customers_app.extensions["crm_db"].engine.dialect.name != "sqlite":
        pytest.skip("a setting of SQLite's connections")
    exported(10_000_000, "warm.csv")
    monkeypatch.setattr(export_parts, "PARALLEL_EXPORT_ROWS", 10)
    caches = tmp_path / "caches.txt"
    original = export_file._rows

    def noted(session, batch, *args, **kwargs):
        cache = session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
        with caches.open("a") as note:
            note.write(f"{os.getpid()} {cache}\n")
        return original(session, batch, *args, **kwargs)

    monkeypatch.setattr(export_file, "_rows", noted)
    with customers_app.test_request_context():
        session = get_session()
        assert export_file.write_export(session, tmp_path / "out" / "small.csv") == 1203
        after = session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
    seen = [line.split() for line in caches.read_text().splitlines()]
    assert len({pid for pid, _cache in seen}) == 2
    assert {int(cache) for _pid, cache in seen} == {-SCAN_CACHE_KIB}
    assert after == -SQLITE_CACHE_KIB  # the session's connection serves lists again
