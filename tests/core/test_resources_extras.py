"""What a Resource offers the short lists an administrator keeps (types, tags, stages): rows
moved up and down in an order field, a computed column (a usage count) worked out once per
page, a delete confirmation that says what the deletion touches and a message after it, and
a colour field shown as a swatch, picked with a colour input and checked in the API.

The resource here is the example plugin's notes declared a second time, ranked by priority,
with its blueprints added to the test's app."""

from __future__ import annotations

import re

import pytest
from resources_world import build, csrf
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from crm_core.db import get_session
from crm_core.resources.blueprints import build_blueprints
from crm_core.resources.display import cell
from crm_core.resources.forms import make_form
from crm_core.resources.schemas import schema
from crm_core.testing import DATABASES
from crm_core.toolkit import Computed, Field, Resource

pytestmark = pytest.mark.crm_plugins("example")

CALLS: list[list[int]] = []


def _lengths(session, records):
    CALLS.append([record.id for record in records])
    return {record.id: len(record.title) for record in records}


def _delete(session, note, user):
    session.delete(note)
    return f"{note.title} is gone for good."


def ranked() -> Resource:
    from crm_plugin_example.models import Note

    resource = Resource(
        model=Note, name="ranked", label="Ranked notes",
        fields=[Field("title", "Title"), Field("status", "Status", colour=True),
                Field("priority", "Priority", form=False)],
        columns=["title", "length"], sorts=["priority"], default_sort="priority",
        order_field="priority",
        computed=[Computed("length", "Letters", _lengths, format=lambda n: f"{n} letters")],
        delete=_delete, delete_notice=lambda session, note: f"{note.title} has 3 files.",
        soft_delete=None, menu=False, api=True)
    resource.plugin = "example"
    return resource


@pytest.fixture(params=DATABASES)
def crm_app(request, crm_make_app):
    """The example plugin on SQLite and (with CRM_TEST_DATABASE_URL) PostgreSQL."""
    return crm_make_app(plugins=["example"], database=request.param)


@pytest.fixture
def world(crm_app):
    resource = ranked()
    for blueprint in build_blueprints(resource):
        crm_app.register_blueprint(blueprint)
    world = build(crm_app)
    world.resource = resource
    return world


def titles(html: str) -> list[str]:
    return re.findall(r'href="/example/ranked/\d+">([^<]+)</a>', html)


def priorities(world, ids):
    from crm_plugin_example.models import Note

    with world.app.app_context():
        rows = get_session().execute(select(Note.id, Note.priority).where(Note.id.in_(ids)))
        return dict(rows.all())


def test_rows_move_up_and_down_in_the_order_the_list_shows(world):
    first, second, third = world.add_notes("sally", 3)
    sally = world.client("sally")
    html = sally.get("/example/ranked").get_data(as_text=True)
    assert titles(html) == ["Note 000", "Note 001", "Note 002"]  # all priority 0: by id
    assert html.count('title="Move up"') == 3 and 'value="down"' in html
    token = csrf(html)

    moved = sally.post(f"/example/ranked/{third}/move",
                       data={"csrf_token": token, "direction": "up"}, follow_redirects=True)
    page = moved.get_data(as_text=True)
    assert "Order saved." in page
    assert titles(page) == ["Note 000", "Note 002", "Note 001"]
    assert priorities(world, [first, second, third]) == {first: 0, second: 2, third: 1}
    sally.post(f"/example/ranked/{first}/move", data={"csrf_token": token, "direction": "down"})
    sally.post(f"/example/ranked/{third}/move", data={"csrf_token": token, "direction": "up"})
    assert titles(sally.get("/example/ranked").get_data(as_text=True)) == [
        "Note 002", "Note 000", "Note 001"]

    # sorted another way, the list offers no moves; a bad direction or token is refused
    assert 'title="Move up"' not in sally.get("/example/ranked?sort=-priority").get_data(
        as_text=True)
    assert sally.post(f"/example/ranked/{first}/move",
                      data={"csrf_token": token, "direction": "sideways"}).status_code == 400
    assert sally.post(f"/example/ranked/{first}/move",
                      data={"direction": "up"}).status_code == 400


def test_moving_needs_the_edit_permission_and_a_record_in_scope(world):
    (note,) = world.add_notes("sally", 1)
    viewer = world.client("vic")
    html = viewer.get("/example/ranked").get_data(as_text=True)
    assert "Note 000" in html and 'title="Move up"' not in html
    assert viewer.post(f"/example/ranked/{note}/move", data={
        "csrf_token": csrf(html), "direction": "up"}).status_code == 403
    west = world.client("wes")  # a sales rep of another department: the note is not his
    assert west.post(f"/example/ranked/{note}/move", data={
        "csrf_token": world.token(west), "direction": "up"}).status_code == 404


def test_a_computed_column_shows_each_rows_value_worked_out_once_per_page(world):
    world.add_notes("sally", 2)
    world.add_notes("sally", 1, title="A much longer note", start=2)
    CALLS.clear()
    html = world.client("sally").get("/example/ranked").get_data(as_text=True)
    assert "<th scope=\"col\">Letters</th>" in html or ">Letters<" in html
    assert "8 letters" in html and "22 letters" in html
    assert len(CALLS) == 1 and len(CALLS[0]) == 3  # one call for the page's three records
    chooser = world.client("sally").get("/example/ranked?col=title").get_data(as_text=True)
    assert 'value="length"' in chooser and "8 letters" not in chooser  # chosen away


def test_the_delete_confirmation_says_what_the_plugin_says_and_its_message_follows(world):
    (note,) = world.add_notes("sally", 1, title="Plan")
    sally = world.client("sally")
    confirm = sally.get(f"/example/ranked/{note}/delete").get_data(as_text=True)
    assert "Delete Plan 000?" in confirm and "Plan 000 has 3 files." in confirm
    done = sally.post(f"/example/ranked/{note}/delete", data={"csrf_token": csrf(confirm)},
                      follow_redirects=True).get_data(as_text=True)
    assert "Plan 000 is gone for good." in done and "deleted." not in done
    assert priorities(world, [note]) == {}


def test_a_colour_field_is_a_swatch_a_colour_input_and_checked_everywhere(world):
    from crm_plugin_example.models import Note

    resource = world.resource
    note = Note(id=7, title="Hot", status="#ff0000")
    swatch = str(cell(resource, note, "status"))
    assert 'fill="#ff0000"' in swatch and swatch.endswith("#ff0000</span>")
    assert cell(resource, note, "status", html=False) == "#ff0000"  # exports: the code only
    with world.app.test_request_context(method="POST", data=MultiDict(
            {"title": "Hot", "status": "red"})):
        world.app.config["WTF_CSRF_ENABLED"] = False
        form = make_form(resource, get_session())
        assert 'type="color"' in str(form.status)
        assert not form.validate()
        assert form.errors["status"] == ["Choose the colour as #rrggbb, such as #0d6efd."]
        world.app.config["WTF_CSRF_ENABLED"] = True
    refused = schema(resource, "in")().validate({"title": "Hot", "status": "red"})
    assert list(refused) == ["status"]
    assert schema(resource, "in")().validate({"title": "Hot", "status": "#00FF00"}) == {}


def test_a_declaration_names_a_wrong_order_field_or_a_computed_column_clash():
    from crm_plugin_example.models import Note

    with pytest.raises(ValueError, match="'rank' is not a column"):
        Resource(model=Note, name="x", label="X", fields=[Field("title")], order_field="rank")
    with pytest.raises(ValueError, match="computed column"):
        Resource(model=Note, name="x", label="X", fields=[Field("title")],
                 computed=[Computed("title", "T", _lengths)])
