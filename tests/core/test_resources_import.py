"""A Resource that offers import: the example plugin's notes get a spec derived from their
fields, the import wizard linked from their list, and ``crm example import|export``, with no
importer written. Bad cells say why per row (in Chinese for a Chinese user), relations are
given by name, and a key held by a note the importer may not see fails the row without
naming the note."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from flask_babel import force_locale
from resources_world import build
from sqlalchemy import select

from crm_core.db import get_session
from crm_core.imports.files import import_folder, read_checks
from crm_core.imports.run import run_import
from crm_core.imports.service import create_import, get_spec
from crm_core.testing import DATABASES, invoke_cli
from crm_core.toolkit import CellError, Field, Resource

pytestmark = pytest.mark.crm_plugins("example")
SPEC = "example.notes"


@pytest.fixture(params=DATABASES)
def world(request, crm_make_app):
    """The notes world on SQLite, and on PostgreSQL when CRM_TEST_DATABASE_URL is set."""
    return build(crm_make_app(plugins=["example"], database=request.param))


def write_csv(path, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def notes(app):
    from crm_plugin_example.models import Note

    with app.app_context():
        return {note.title: note for note in get_session().scalars(select(Note))}


def run(app, path, *, user_id, mode="insert", key=None, locale="en"):
    """Import ``path`` as ``user_id``; returns the counts and ``{row: reason}``."""
    with app.app_context(), force_locale(locale):
        session = get_session()
        spec = get_spec(SPEC)
        imp = create_import(session, spec, path, user_id=user_id)
        imp.mode, imp.key = mode, key
        session.commit()
        counts = run_import(session, spec, imp, user_id=user_id)
        checks = {row: reason for row, _level, reason in read_checks(import_folder(imp.id))}
        return counts, checks


def test_a_file_of_notes_is_imported_and_each_bad_row_says_why_in_chinese(world, tmp_path):
    sally = world.users["sally"]
    path = write_csv(tmp_path / "notes.csv", [
        ["标题", "正文", "状态", "优先级", "负责人"],
        ["Call back", "about the offer", "已完成", "3", "wes"],
        ["", "no title", "open", "1", ""],
        ["Bad date?", "", "open", "many", ""],
        ["Whose?", "", "", "", "nobody"],
        ["Mine", "", "Open", "", ""],
    ])
    counts, checks = run(world.app, path, user_id=sally.id, locale="zh_CN")
    assert (counts.created, counts.failed) == (2, 3)
    assert checks["3"] == "标题为必填项。"
    assert checks["4"] == "优先级: 不是数字。"
    assert checks["5"] == "未知的负责人：nobody。"
    found = notes(world.app)
    assert set(found) == {"Call back", "Mine"}
    # a status by its Chinese label, an owner by user name, the department follows the owner
    wes = world.users["wes"]
    assert (found["Call back"].status, found["Call back"].priority) == ("done", 3)
    assert (found["Call back"].owner_id, found["Call back"].department_id) == \
        (wes.id, wes.department_id)
    assert (found["Mine"].owner_id, found["Mine"].department_id) == \
        (sally.id, sally.department_id)


def test_whole_numbers_and_choices_are_checked_against_the_model(world, tmp_path):
    path = write_csv(tmp_path / "notes.csv", [
        ["Title", "Status", "Priority"], ["Half", "open", "1.5"],
        ["Huge", "open", "99999999999"], ["Maybe", "maybe", "1"], ["Fine", "done", "2"]])
    counts, checks = run(world.app, path, user_id=world.users["sally"].id)
    assert (counts.created, counts.failed) == (1, 3)
    assert checks["2"] == "Priority: Not a whole number."
    assert checks["3"].startswith("Priority: Out of range")
    assert checks["4"] == "Status: Not one of: Open, Done."


def test_dates_and_times_are_read_in_the_spellings_spreadsheets_use(crm_app):
    from crm_plugin_example.models import Note

    from crm_core.resources.importing import derive_spec

    dated = Resource(model=Note, name="dated", label="Dated", plugin="example",
                     fields=[Field("title"), Field("created_at")])
    with crm_app.app_context():
        clean = derive_spec(dated).field("created_at").clean
        moment = dt.datetime(2026, 12, 4, 8, 30, tzinfo=dt.UTC)
        assert clean("2026-12-04 08:30") == moment
        assert clean("2026年12月4日 08:30") == moment
        assert clean("2026/12/4") == dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
        for text in ("2026-13-01", "tomorrow"):
            with pytest.raises(CellError, match="YYYY-MM-DD"):
                clean(text)


def test_the_list_links_to_the_wizard_for_an_importer_only(world):
    sally = world.client("sally")
    html = sally.get("/example/notes").get_data(as_text=True)
    assert f'href="/imports/{SPEC}/new"' in html
    wizard = sally.get(f"/imports/{SPEC}/new")
    assert wizard.status_code == 200
    # its breadcrumb goes back to the list
    assert '<li class="breadcrumb-item"><a href="/example/notes">' in wizard.get_data(
        as_text=True)
    viewer = world.client("vic")
    assert f"/imports/{SPEC}/new" not in viewer.get("/example/notes").get_data(as_text=True)
    assert viewer.get(f"/imports/{SPEC}/new").status_code == 403


def test_a_key_held_by_a_note_out_of_scope_fails_the_row_without_naming_it(world, tmp_path):
    [west] = world.add_notes("wes", 1, title="West secret")
    [east] = world.add_notes("sally", 1, title="East note")
    path = write_csv(tmp_path / "notes.csv", [
        ["ID", "Title"], [str(west), "Taken over"], [str(east), "East note, edited"]])
    counts, checks = run(world.app, path, user_id=world.users["sally"].id, mode="upsert",
                         key="id")
    assert (counts.updated, counts.failed) == (1, 1)
    assert "cannot see" in checks["2"] and "West secret" not in checks["2"]
    assert set(notes(world.app)) == {"West secret 000", "East note, edited"}


def test_crm_example_import_and_export_round_trip(world, tmp_path):
    app = world.app
    path = write_csv(tmp_path / "in.csv", [["标题", "正文", "优先级"], ["One", "a", "1"],
                                           ["Two", "b", "2"], ["", "c", "3"]])
    result = invoke_cli(app, "example", "import", "notes", str(path))
    assert result.exit_code == 1, result.output
    assert "3 rows: 2 created, 0 updated, 0 skipped, 1 failed" in result.output
    out = tmp_path / "notes.csv"
    result = invoke_cli(app, "example", "export", "--output", str(out))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["ID", "Title", "Body"]
    assert [row[1] for row in rows[1:]] == ["One", "Two"]
    rows[1][2] = "changed"
    write_csv(out, rows)
    result = invoke_cli(app, "example", "import", str(out), "--mode", "upsert", "--key", "id")
    assert result.exit_code == 0, result.output
    assert "2 rows: 0 created, 1 updated, 1 skipped, 0 failed" in result.output
    assert notes(app)["One"].body == "changed"
    assert invoke_cli(app, "example", "import", "nothing", str(out)).exit_code == 2


def test_a_resource_with_its_own_create_imports_through_it(world, tmp_path):
    from crm_plugin_example.models import Note

    from crm_core.resources.importing import derive_spec
    from crm_core.resources.writes import create_record

    def create(session, values, user):  # a plugin's rule: titles in capitals
        plain = Resource(model=Note, name="plain", label="Plain", fields=[Field("title")])
        return create_record(session, plain, {**values, "title": values["title"].upper()},
                             user)

    shouting = Resource(model=Note, name="shouting", label="Shouting", plugin="example",
                        fields=[Field("title")], create=create)
    path = write_csv(tmp_path / "notes.csv", [["Title"], ["quiet please"]])
    sally = world.users["sally"]
    with world.app.app_context():
        session = get_session()
        spec = derive_spec(shouting)
        imp = create_import(session, spec, path, user_id=sally.id)
        session.commit()
        assert run_import(session, spec, imp, user_id=sally.id).created == 1
    note = notes(world.app)["QUIET PLEASE"]
    assert (note.owner_id, note.department_id) == (sally.id, sally.department_id)


def test_a_plugin_without_a_command_group_gets_one_for_its_import_specs(
        crm_install_plugin, crm_make_app, tmp_path):
    crm_install_plugin("tiny", '''
        from crm_core.toolkit import ImportField, ImportSpec, PluginInfo, hookimpl

        PLUGIN = PluginInfo(name="tiny", version="0.1", title="Tiny", requires=("example",))


        @hookimpl
        def crm_import_specs():
            from crm_plugin_example.models import Note

            return [ImportSpec(id="tiny.titles", title="Titles", model=Note,
                               fields=[ImportField("title", "Title", required=True)])]
    ''')
    app = crm_make_app(plugins=["example", "tiny"])
    assert "crm tiny" in app.extensions["crm"].registrations("tiny")["commands"]
    path = write_csv(tmp_path / "titles.csv", [["Title"], ["From tiny"]])
    result = invoke_cli(app, "tiny", "import", str(path))  # one spec: no name needed
    assert result.exit_code == 0, result.output
    out = tmp_path / "titles.xlsx"
    result = invoke_cli(app, "tiny", "export", "titles", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Exported 1 rows" in result.output and out.read_bytes()[:2] == b"PK"
