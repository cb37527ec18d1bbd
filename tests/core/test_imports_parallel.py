"""A large import file is read and cleaned in a second process while this one writes
(``crm_core.imports.parallel``): the same records, bad-rows report and counts as in one
process, the file's errors told to the user as they are, and the job's progress committed
while the import runs (a long transaction must not lock it out)."""

from __future__ import annotations

import csv
import os

import imports_testing
import pytest
from imports_testing import install, spec, titles, write_csv

from crm_core.db import get_session
from crm_core.imports import parallel
from crm_core.imports import run as run_module
from crm_core.imports.files import ERRORS, import_folder
from crm_core.imports.run import run_import
from crm_core.imports.service import create_import
from crm_core.tabular import TabularError

pytestmark = pytest.mark.crm_plugins("example")
HEADER = ["标题", "正文"]


@pytest.fixture
def app(crm_app):
    install(crm_app)
    return crm_app


def _file(tmp_path, count):
    """``count`` notes; every 7th title is refused by the cleaner, every 11th repeats."""
    rows = [HEADER]
    for number in range(count):
        title = f"bad {number}" if number % 7 == 3 else f"note {number:05d}"
        if number % 11 == 5:
            title = "note 00000"
        rows.append([title, f"body {number}"])
    return write_csv(tmp_path / f"notes-{count}.csv", rows)


def _import(app, path, progress=None):
    with app.app_context():
        session = get_session()
        imp = create_import(session, spec(), path, user_id=None)
        session.commit()
        counts = run_import(session, spec(), imp, progress=progress)
        with (import_folder(imp.id) / ERRORS).open(encoding="utf-8-sig") as handle:
            report = list(csv.reader(handle))
        return counts, report


def _pids(tmp_path, monkeypatch):
    """Make the title cleaner note the process it runs in, in a file."""
    seen = tmp_path / "pids.txt"
    clean = imports_testing.clean_title

    def noting(text):
        with seen.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return clean(text)

    monkeypatch.setattr(imports_testing, "clean_title", noting)
    return seen


def test_a_large_file_is_cleaned_in_a_second_process_with_the_same_result(
        app, tmp_path, monkeypatch):
    path = _file(tmp_path, 5000)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 10 ** 12)  # one process
    alone_counts, alone_report = _import(app, path)
    alone_titles = titles(app)
    with app.app_context():
        from crm_plugin_example.models import Note

        session = get_session()
        session.query(Note).delete()
        session.commit()

    seen = _pids(tmp_path, monkeypatch)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)  # every file: a second process
    monkeypatch.setattr(run_module, "COMMIT_ROWS", 1500)
    counts, report = _import(app, path)

    assert {int(pid) for pid in seen.read_text().split()} - {os.getpid()}, \
        "the rows were not cleaned in another process"
    assert str(os.getpid()) not in seen.read_text().split()
    assert (counts.created, counts.failed, counts.total) == \
        (alone_counts.created, alone_counts.failed, 5000)
    assert counts.failed == len(report) - 1 > 0
    assert report == alone_report  # the same rows, numbers and reasons, in file order
    assert titles(app) == alone_titles


def test_a_limit_passed_in_the_second_process_is_the_users_message(app, tmp_path,
                                                                   monkeypatch):
    path = _file(tmp_path, 3000)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    app.config["CRM_UPLOAD_MAX_ROWS"] = 2500
    with pytest.raises(TabularError) as raised:
        _import(app, path)
    assert "2500" in str(raised.value).replace(",", "")


def test_progress_is_committed_by_another_session_while_the_import_runs(app, tmp_path,
                                                                        monkeypatch):
    """The job's progress is written in its own transaction (as ``JobHandle.progress``
    does): the import must not hold the database's write lock when it reports."""
    from sqlalchemy import text

    path = _file(tmp_path, 6000)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(run_module, "COMMIT_SECONDS", 0.0)
    reported = []

    def progress(fraction, counts):
        with app.extensions["crm_db"].new_session() as other:
            other.execute(text("UPDATE core_import SET message = :m"), {"m": str(counts.total)})
            other.commit()
        reported.append(fraction)

    counts, _report = _import(app, path, progress=progress)
    assert counts.total == 6000 and len(reported) >= 2 and reported[-1] == pytest.approx(1.0)


def test_an_unexpected_error_of_the_second_process_reaches_the_user_with_its_traceback(
        app, tmp_path, monkeypatch):
    path = _file(tmp_path, 6000)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    clean = imports_testing.clean_title

    def failing(text):
        if text == "note 04001":
            raise ZeroDivisionError("a cleaner's own bug")
        return clean(text)

    monkeypatch.setattr(imports_testing, "clean_title", failing)
    with pytest.raises(RuntimeError, match="cleaning process failed") as raised:
        _import(app, path)
    assert "ZeroDivisionError: a cleaner's own bug" in str(raised.value)


def test_a_writer_failing_midway_stops_the_second_process(app, tmp_path, monkeypatch):
    """The writer fails while the child is still cleaning: the user gets the writer's error
    (the import does not hang on the child), and the child is not left behind."""
    rows = [HEADER] + [[f"note {number:05d}", "explode" if number == 4500 else "body"]
                       for number in range(30000)]
    path = write_csv(tmp_path / "explode.csv", rows)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    forked = []
    fork = os.fork

    def noted_fork():
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(parallel.os, "fork", noted_fork)
    with pytest.raises(RuntimeError, match="the writer failed"):
        _import(app, path)
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):  # stopped and reaped, not left running
        os.waitpid(forked[0], os.WNOHANG)

