"""The kernel's imports, with a small spec of the example plugin's notes (not customers):
mapping guessed from Chinese or English headers, the check listing bad rows with reasons,
insert/upsert/skip, keep-the-good-rows versus all-or-nothing, the bad-rows CSV, undo,
relation values created on demand and listed at the check, the command line, export files."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from imports_testing import CREATED, install, spec, titles, write_csv
from sqlalchemy import func, select

from crm_core.audit.models import AuditEntry
from crm_core.db import get_session
from crm_core.imports import run as run_module
from crm_core.imports.files import ERRORS, import_folder, read_checks
from crm_core.imports.models import ImportRecord, TabularImport
from crm_core.imports.run import run_import
from crm_core.imports.service import create_import
from crm_core.imports.undo import undo_import
from crm_core.toolkit import guess_mapping, import_command, open_table, write_table

pytestmark = pytest.mark.crm_plugins("example")
HEADER = ["标题", "正文", "类别"]


@pytest.fixture
def app(crm_app):
    install(crm_app)
    return crm_app


def do_import(app, path, *, mode="insert", key=None, all_or_nothing=False,
              create_missing=True, dry_run=False, user_id=None):
    with app.app_context():
        session = get_session()
        imp = create_import(session, spec(), path, user_id=user_id)
        imp.mode, imp.key, imp.all_or_nothing = mode, key, all_or_nothing
        imp.create_missing = create_missing
        session.commit()
        counts = run_import(session, spec(), imp, dry_run=dry_run, user_id=user_id)
        return imp.id, counts


def bodies(app):
    from crm_plugin_example.models import Note

    with app.app_context():
        return dict(get_session().execute(select(Note.title, Note.body)).all())


def test_the_mapping_is_guessed_from_chinese_and_english_headers(app):
    with app.app_context():
        fields = spec().fields
        assert guess_mapping(["标题", "Body", " 类别 ", "Subject", "其他"], fields) == \
            ["title", "body", "category", "", ""]
        assert guess_mapping(["SUBJECT", "ｔｅｘｔ", "Category"], fields) == \
            ["title", "body", "category"]
        assert guess_mapping(["标题", "备注"], fields, {"备注": "body"}) == ["title", "body"]


def test_the_check_lists_every_bad_row_with_its_reason_and_writes_nothing(app, tmp_path):
    path = write_csv(tmp_path / "a.csv", [HEADER, ["Alpha", "a", ""], ["bad one", "x", ""],
                                          ["", "no title", ""], ["Alpha", "dup", ""],
                                          ["Beta", "b", ""]])
    import_id, counts = do_import(app, path, key="title", dry_run=True)
    assert (counts.total, counts.created, counts.failed) == (5, 2, 3)
    with app.app_context():
        checks = {row: reason for row, _level, reason in read_checks(import_folder(import_id))}
        assert get_session().get(TabularImport, import_id).status == "checked"
    assert "may not start with" in checks["3"] and checks["3"].startswith("标题")
    assert checks["4"] == "Title is required."
    assert "already exists (row 2)" in checks["5"]
    assert titles(app) == []


def test_insert_upsert_and_skip_by_key(app, tmp_path):
    first = write_csv(tmp_path / "a.csv", [HEADER, ["Alpha", "a", ""], ["Beta", "b", ""]])
    assert do_import(app, first, key="title")[1].created == 2
    second = write_csv(tmp_path / "b.csv", [HEADER, ["Alpha", "a2", ""], ["Gamma", "g", ""]])
    inserted = do_import(app, second, key="title")[1]
    assert (inserted.created, inserted.failed) == (1, 1)
    skipped = do_import(app, second, mode="skip", key="title")[1]
    assert (skipped.created, skipped.skipped, skipped.updated) == (0, 2, 0)
    upserted = do_import(app, second, mode="upsert", key="title")[1]
    assert (upserted.created, upserted.updated, upserted.skipped) == (0, 1, 1)
    assert bodies(app)["Alpha"] == "a2"
    again = do_import(app, second, mode="upsert", key="title")[1]
    assert (again.updated, again.skipped) == (0, 2)  # nothing changes: counted as skipped


def test_keep_the_good_rows_or_all_or_nothing(app, tmp_path):
    path = write_csv(tmp_path / "a.csv", [HEADER, ["Alpha", "", ""], ["bad", "", ""],
                                          ["Beta", "", ""]])
    import_id, counts = do_import(app, path, all_or_nothing=True)
    with app.app_context():
        imp = get_session().get(TabularImport, import_id)
        assert (imp.status, imp.created, imp.failed) == ("failed", 0, 1)
        assert "nothing was imported" in imp.message
    assert titles(app) == []
    _id, counts = do_import(app, path)
    assert (counts.created, counts.failed) == (2, 1)
    assert titles(app) == ["Alpha", "Beta"]


def test_all_or_nothing_leaves_nothing_half_written_when_a_write_fails(app, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setattr(run_module, "BATCH", 1)  # Alpha is written before Beta fails
    path = write_csv(tmp_path / "a.csv", [HEADER, ["Alpha", "fine", "重点"],
                                          ["Beta", "explode", ""]])
    with pytest.raises(RuntimeError):
        do_import(app, path, all_or_nothing=True)
    assert titles(app) == []
    with app.app_context():
        session = get_session()
        assert session.scalar(select(func.count()).select_from(ImportRecord)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "import_create")) == 0


def test_the_bad_rows_file_is_formula_safe_and_imports_again(app, tmp_path):
    path = write_csv(tmp_path / "a.csv", [HEADER, ["bad =1+1", '=HYPERLINK("x")', ""],
                                          ["Fine", "ok", ""]])
    import_id, counts = do_import(app, path)
    assert (counts.created, counts.failed) == (1, 1)
    with app.app_context():
        report = import_folder(import_id) / ERRORS
    raw = report.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with report.open(encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    assert header == [*HEADER, "Row", "Reason"]
    assert row[1] == "'=HYPERLINK(\"x\")" and row[3] == "2" and "bad" in row[4]
    fixed = write_csv(tmp_path / "fixed.csv", [header, ["Fixed", *row[1:]]])
    assert do_import(app, fixed)[1].created == 1
    assert bodies(app)["Fixed"] == '=HYPERLINK("x")'


def test_undo_takes_back_what_the_import_created_and_overwrote(app, tmp_path):
    do_import(app, write_csv(tmp_path / "a.csv", [HEADER, ["Alpha", "a", ""]]), key="title")
    import_id, counts = do_import(app, write_csv(tmp_path / "b.csv", [
        HEADER, ["Alpha", "a2", ""], ["Beta", "b", ""]]), mode="upsert", key="title")
    assert (counts.created, counts.updated) == (1, 1)
    with app.app_context():
        session = get_session()
        logged = session.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(("import_create", "import_update")))).all()
        assert sum(json.loads(entry.changes)["count"] for entry in logged) == 3
        result = undo_import(session, spec(), session.get(TabularImport, import_id),
                             user_id=None)
        assert (result.removed, result.restored, result.skipped) == (1, 1, 0)
        imp = session.get(TabularImport, import_id)
        assert imp.status == "undone" and imp.undone_at is not None
        undo_entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action.like("import_undo%")).order_by(AuditEntry.id)).all()
        assert [(entry.action, entry.model) for entry in undo_entries] == [
            ("import_undo_delete", "example_note"), ("import_undo_restore", "example_note"),
            ("import_undo", "core_import")]
    assert bodies(app) == {"Alpha": "a"}


def test_missing_relation_values_are_listed_at_the_check_and_created_on_demand(app, tmp_path):
    path = write_csv(tmp_path / "a.csv", [HEADER, ["A", "x", "重点"], ["B", "y", "VIP"],
                                          ["C", "z", "重点"], ["D", "w", "普通"]])
    import_id, counts = do_import(app, path, dry_run=True)
    assert (counts.created, counts.failed) == (4, 0)
    with app.app_context():
        assert get_session().get(TabularImport, import_id).new_values == {
            "category": {"count": 3, "names": ["重点", "VIP", "普通"]}}
    assert CREATED == []
    _id, refused = do_import(app, path, create_missing=False)
    assert (refused.created, refused.failed) == (0, 4)
    _id, done = do_import(app, path)
    assert done.created == 4 and CREATED == ["重点", "VIP", "普通"]
    assert bodies(app)["C"] == "[1] z"


def test_the_command_line_imports_with_counts_and_exit_codes(app, tmp_path):
    path = write_csv(tmp_path / "a.csv", [HEADER, ["Alpha", "a", ""], ["bad", "", ""]])
    with app.app_context():
        result = CliRunner().invoke(import_command("example.note"),
                                    [str(path), "--json"])
    assert result.exit_code == 1
    counts = json.loads(result.output.strip().splitlines()[-1])
    assert (counts["created"], counts["failed"]) == (1, 1) and counts["error_report"]
    with app.app_context():
        bad = CliRunner().invoke(import_command("example.note"),
                                 [str(path), "--mode", "upsert", "--key", "body"])
    assert bad.exit_code == 2 and "crm: error:" in bad.output


def test_export_files_are_csv_with_a_bom_and_xlsx(app, tmp_path):
    rows = [["Alpha", "=1+1"], ["Beta", "-12.50"]]
    with app.app_context():
        assert write_table(tmp_path / "a.csv", "csv", ["标题", "正文"], [rows]) == 2
        assert write_table(tmp_path / "a.xlsx", "xlsx", ["标题", "正文"], [rows[:1], rows[1:]]) == 2
        with open_table(tmp_path / "a.xlsx") as table:
            assert table.headers == ["标题", "正文"]
            assert [row.cells for row in table.rows()] == [["Alpha", "'=1+1"],
                                                           ["Beta", "-12.50"]]
    data = (tmp_path / "a.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"'=1+1" in data


def test_insert_upsert_and_undo_on_postgresql(crm_make_app, postgres_url, tmp_path):
    app = crm_make_app(plugins=["example"], database="postgresql")
    install(app)
    do_import(app, write_csv(tmp_path / "a.csv", [HEADER, ["Alpha", "a", "重点"]]),
              key="title")
    import_id, counts = do_import(app, write_csv(tmp_path / "b.csv", [
        HEADER, ["Alpha", "a2", ""], ["Beta", "b", ""]]), mode="upsert", key="title")
    assert (counts.created, counts.updated) == (1, 1)
    with app.app_context():
        session = get_session()
        result = undo_import(session, spec(), session.get(TabularImport, import_id),
                             user_id=None)
        assert (result.removed, result.restored) == (1, 1)
    assert bodies(app) == {"Alpha": "[1] a"}


def test_the_check_list_and_the_undo_list_run_no_formula_in_a_spreadsheet(app, tmp_path):
    from crm_core.imports.files import BadRows, read_undone, write_undone
    from crm_core.tabular import Row

    with app.app_context():
        report = BadRows(tmp_path, ["=A1"])
        report.add([(Row(2, ["=1+1"]), ["=HYPERLINK(\"http://evil.example\")"])])
        report.warn([(Row(3, ["x"]), ["@SUM(A1:A9)"])])
        report.close()
        write_undone(tmp_path, [("", "+cmd", "-1 left")])
        lines = [line for name in ("errors.csv", "checks.csv", "undo.csv")
                 for line in csv.reader((tmp_path / name).open(encoding="utf-8-sig"))]
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)
    assert read_checks(tmp_path) == [("2", "error", "'=HYPERLINK(\"http://evil.example\")"),
                                     ("3", "warning", "'@SUM(A1:A9)")]
    assert read_undone(tmp_path) == [("", "'+cmd", "'-1 left")]
