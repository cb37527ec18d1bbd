"""A Resource's presets: named views of its list shown as tabs with their counts, chosen by
``?view=<name>`` on the page, its count and the API list, together with the filters and the
data scope; the page opens on the declared default, "all" shows every record; a bad name
is refused naming ``view``, a bad declaration at startup.

The resource is the example plugin's notes declared a second time with two presets."""

from __future__ import annotations

import re

import pytest
from resources_world import build
from sqlalchemy import and_

from crm_core.resources.blueprints import build_blueprints
from crm_core.testing_clients import bearer_token
from crm_core.toolkit import Field, Filter, Preset, Resource

pytestmark = pytest.mark.crm_plugins("example")


def _notes() -> Resource:
    from crm_plugin_example.models import Note

    resource = Resource(
        model=Note, name="queued", label="Queued notes",
        fields=[Field("title", "Title"), Field("status", "Status",
                                               choices=[("open", "Open"), ("done", "Done")]),
                Field("priority", "Priority")],
        filters=[Filter("status", "choice")], sorts=["priority"],
        presets=[Preset("mine", "Mine", lambda user: Note.owner_id == user.id),
                 Preset("urgent", "Urgent", lambda user: and_(Note.priority >= 5,
                                                              Note.status == "open"),
                        sort="-priority")],
        default_preset=lambda user: "mine" if user.username == "sally" else None,
        soft_delete=None, menu=False, api=True)
    resource.plugin = "example"
    return resource


@pytest.fixture
def world(crm_app):
    for blueprint in build_blueprints(_notes()):
        crm_app.register_blueprint(blueprint)
    return build(crm_app)


def _titles(html: str) -> list[str]:
    return re.findall(r'href="/example/queued/\d+">([^<]+)</a>', html)


def test_presets_filter_the_list_count_and_api_within_the_scope(world):
    world.add_notes("sally", 2, title="Mine")
    world.add_notes("sally", 1, title="Hot", start=5, priority=9)
    world.add_notes("sally", 1, title="Hotter", start=6, priority=7)
    world.add_notes("sally", 1, title="Done", start=7, priority=9, status="done")
    root = world.client("root")
    sally = world.client("sally")
    # sally opens on her default, "mine"; root has none: every record
    assert len(_titles(sally.get("/example/queued").get_data(as_text=True))) == 5
    assert 'aria-current="page" href="/example/queued?view=mine"' in sally.get(
        "/example/queued").get_data(as_text=True)
    urgent = root.get("/example/queued?view=urgent").get_data(as_text=True)
    assert _titles(urgent) == ["Hot 005", "Hotter 006"]  # the preset's sort: -priority
    assert 'name="view" value="urgent"' in urgent  # the filter form keeps it
    assert root.get("/example/queued/count?view=urgent&tab=1").get_data(
        as_text=True).strip() == "2"
    assert root.get("/example/queued/count?view=mine&tab=1").get_data(
        as_text=True).strip() == "0"  # root's own: none
    assert root.get("/example/queued/count?view=all&tab=1").get_data(
        as_text=True).strip() == "5"
    assert _titles(root.get("/example/queued?view=urgent&status=done").get_data(
        as_text=True)) == []
    assert root.get("/example/queued?view=nonsense").status_code == 400

    api = world.app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer_token(world.app, world.users['wes'])}"
    assert api.get("/api/v1/example/queued?view=urgent").get_json()["items"] == []  # West
    mine = api.get("/api/v1/example/queued?view=mine")
    assert mine.status_code == 200 and mine.get_json()["items"] == []
    refused = api.get("/api/v1/example/queued?view=nonsense")
    assert refused.status_code == 422 and "view" in refused.get_json()["errors"]


def test_a_preset_keeps_keyset_pages(world):
    world.add_notes("sally", 5, title="Hot", priority=9)
    root = world.client("root")
    token = f"Bearer {bearer_token(world.app, world.users['root'])}"
    first = root.get("/api/v1/example/queued?view=urgent&limit=3",
                     headers={"Authorization": token}).get_json()
    rest = root.get(f"/api/v1/example/queued?view=urgent&limit=3&cursor="
                    f"{first['next_cursor']}", headers={"Authorization": token}).get_json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 2
    assert rest["next_cursor"] is None


def test_a_bad_preset_declaration_is_refused_at_startup():
    from crm_plugin_example.models import Note

    def declared(**more):
        return Resource(model=Note, name="x", label="X", fields=[Field("title")], **more)

    always = lambda user: Note.id > 0  # noqa: E731
    with pytest.raises(ValueError, match="preset name"):
        declared(presets=[Preset("All", "All", always)])
    with pytest.raises(ValueError, match="preset name"):
        declared(presets=[Preset("all", "All", always)])
    with pytest.raises(ValueError, match="sorts by"):
        declared(presets=[Preset("mine", "Mine", always, sort="title")])
    with pytest.raises(ValueError, match="no preset"):
        declared(presets=[Preset("mine", "Mine", always)], default_preset="theirs")
