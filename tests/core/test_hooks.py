"""Each platform hook does what its docstring promises, seen from third-party plugins."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_core.errors import RegistryError

HOOKY = '''
    from crm_core.toolkit import (MenuItem, Permission, PluginInfo, RoleSpec, ScheduleEntry,
                                  TaskSpec, hookimpl)
    from . import offered

    PLUGIN = PluginInfo(name="hooky", version="1.2.3", title="Hooks", requires=["example"])
    STARTED = []

    @hookimpl
    def crm_add_hookspecs(pm):
        pm.add_hookspecs(offered)

    @hookimpl
    def crm_roles():
        return [RoleSpec("sales", "Sales", ("hooky.thing.view",))]

    @hookimpl
    def crm_permissions():
        return [Permission("hooky.thing.view", "View things", "Hooks")]

    @hookimpl
    def crm_menu_items():
        return [MenuItem(id="hooky.child", label="Child notes", endpoint="example_notes.list",
                         parent="example.notes", order=1)]

    @hookimpl
    def crm_celery_tasks(celery):
        assert celery.main == "crm"
        return [TaskSpec("tick", lambda: None)]

    @hookimpl
    def crm_beat_schedule():
        return [ScheduleEntry("every-minute", "tick", seconds=60),
                ScheduleEntry("nightly", "hooky.tick", crontab="30 2 * * *")]

    @hookimpl
    def crm_startup(app):
        STARTED.append(app.name)
        app.config["HOOKY_ANSWER"] = app.extensions["crm"].hook.hooky_answer(question="life")
'''

OFFERED = '''
    from crm_core.toolkit import hookspec

    @hookspec(firstresult=True)
    def hooky_answer(question):
        """Answer a question; the first plugin that knows wins."""
'''

ANSWERER = '''
    from crm_core.toolkit import PluginInfo, hookimpl

    PLUGIN = PluginInfo(name="answerer", version="0.1", title="Answers", requires=["hooky"])

    @hookimpl
    def hooky_answer(question):
        return 42 if question == "life" else None
'''


@pytest.fixture
def hooky(crm_install_plugin):
    crm_install_plugin("hooky", HOOKY, {"offered.py": OFFERED})
    crm_install_plugin("answerer", ANSWERER)


@pytest.mark.usefixtures("hooky")
def test_plugin_offers_a_hook_that_a_plugin_requiring_it_implements(crm_make_app):
    app = crm_make_app(plugins=["answerer", "example", "hooky"], migrate=False)
    assert app.extensions["crm"].names == ["core", "example", "hooky", "answerer"]
    assert app.config["HOOKY_ANSWER"] == 42
    without = crm_make_app(plugins=["example", "hooky"], migrate=False)
    assert without.config["HOOKY_ANSWER"] is None


@pytest.mark.usefixtures("hooky")
def test_roles_schedules_tasks_menus_and_startup_are_registered(crm_make_app):
    app = crm_make_app(plugins=["example", "hooky"])
    platform = app.extensions["crm"]
    assert ("hooky", "sales", ("hooky.thing.view",)) in [
        (plugin, role.name, role.permissions) for plugin, role in platform.roles]

    schedule = app.extensions["celery"].conf.beat_schedule
    assert schedule["hooky.every-minute"]["task"] == "hooky.tick"
    assert schedule["hooky.every-minute"]["schedule"] == dt.timedelta(seconds=60)
    assert schedule["hooky.nightly"]["schedule"].hour == {2}
    assert schedule["hooky.nightly"]["schedule"].minute == {30}
    assert "hooky.tick" in app.extensions["celery"].tasks
    assert platform.counts("hooky")["tasks"] == 1

    import hooky_plugin.plugin as module

    assert module.STARTED[-1] == "crm_core"

    from crm_core.testing import create_test_user, login

    client = login(app.test_client(), create_test_user(app, "root", superuser=True))
    home = client.get("/").get_data(as_text=True)
    assert home.index("Notes") < home.index("Child notes")  # nested under its parent


def test_a_schedule_naming_an_unknown_task_stops_the_app(crm_install_plugin, crm_make_app):
    crm_install_plugin("sched", '''
        from crm_core.toolkit import PluginInfo, ScheduleEntry, hookimpl

        PLUGIN = PluginInfo(name="sched", version="0.1", title="Schedules")

        @hookimpl
        def crm_beat_schedule():
            return [ScheduleEntry("often", "nope", seconds=5)]
    ''')
    with pytest.raises(RegistryError, match="sched.nope"):
        crm_make_app(plugins=["sched"], migrate=False)
