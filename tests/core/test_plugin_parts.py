"""``PluginParts.forward`` and ``answer``: the generated hook implementations receive the
hook's arguments from pluggy, by the hookspec's names, and reach the parts' functions."""

from __future__ import annotations

import sys
import types

import pluggy
import pytest

from crm_core import hookspecs
from crm_core.plugin_parts import PluginParts

PARTS = {
    "alpha": "def demo_data(size, session):\n    session.append(('alpha', size))\n    return []\n"
             "def search(query, user, limit):\n    return [f'alpha:{query}:{limit}']\n",
    "beta": "def search(query, user, limit):\n    return [f'beta:{user}']\n"
            "def celery_tasks():\n    return ['beta.sync']\n",
    "privacy": "def export(person, session):\n    return {'people': [person]}\n",
}


@pytest.fixture()
def parts(tmp_path, monkeypatch):
    package = tmp_path / "partsplugin"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in PARTS.items():
        (package / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield PluginParts("partsplugin", ("alpha", "beta"))
    for name in [key for key in sys.modules if key.startswith("partsplugin")]:
        del sys.modules[name]


def _register(offers: dict) -> pluggy.PluginManager:
    manager = pluggy.PluginManager("crm")
    manager.add_hookspecs(hookspecs)
    plugin = types.ModuleType("partsplugin.plugin")
    vars(plugin).update(offers)
    manager.register(plugin, name="partsplugin")
    manager.check_pending()
    return manager


def test_forwarded_hooks_take_the_hookspecs_arguments(parts):
    manager = _register(parts.forward("search", "demo_data"))
    assert manager.hook.crm_search(query="华宇", user="sales00", limit=5) == \
        [["alpha:华宇:5", "beta:sales00"]]
    session: list = []
    manager.hook.crm_demo_data(size=7, session=session)
    assert session == [("alpha", 7)]


def test_a_part_takes_only_the_hook_arguments_it_names(parts):
    manager = _register(parts.forward("celery_tasks"))
    assert manager.hook.crm_celery_tasks(celery=object()) == [["beta.sync"]]


def test_answered_hooks_call_one_modules_function(parts):
    manager = _register(parts.answer("privacy", privacy_export="export"))
    assert manager.hook.crm_privacy_export(person="p1", session=None) == [{"people": ["p1"]}]


def test_a_part_function_replaced_at_run_time_is_the_one_called(parts):
    manager = _register(parts.answer("privacy", privacy_export="export"))
    assert manager.hook.crm_privacy_export(person="p1", session=None) == [{"people": ["p1"]}]
    module = sys.modules["partsplugin.privacy"]
    module.export = lambda person, session: {"changed": [person]}
    assert manager.hook.crm_privacy_export(person="p2", session=None) == [{"changed": ["p2"]}]
