"""``crm seed``: one size for every plugin, or ``--<plugin> N`` for one of them."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, select

from crm_core.testing import invoke_cli

SPROUTS = '''
    from crm_core.toolkit import PluginInfo, hookimpl

    PLUGIN = PluginInfo(name="sprout_beds", version="0.1", title="Sprouts",
                        requires=["example"])
    CALLS = []

    @hookimpl
    def crm_demo_data(size):
        # Takes fewer arguments than the hookspec, as pluggy allows.
        CALLS.append(size)
'''


@pytest.fixture
def seed_app(crm_install_plugin, crm_make_app):
    crm_install_plugin("sprout_beds", SPROUTS)
    app = crm_make_app(plugins=["example", "sprout_beds"])
    _sprout_calls().clear()  # the module stays imported from one test to the next
    return app


def _notes(app) -> int:
    from crm_plugin_example.models import Note

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        count = session.scalar(select(func.count(Note.id)))
        session.close()
        return count


def _sprout_calls() -> list[int]:
    return sys.modules["sprout_beds_plugin.plugin"].CALLS


def test_seed_size_fills_every_plugin_in_load_order(seed_app):
    result = invoke_cli(seed_app, "seed", "--size", "4")
    assert result.exit_code == 0, result.output
    assert "Demo data added by: example (4), sprout_beds (4)" in result.output
    assert _notes(seed_app) == 4
    assert _sprout_calls() == [4]


def test_seed_plugin_option_sets_that_plugins_size_only(seed_app):
    result = invoke_cli(seed_app, "seed", "--size", "2", "--sprout-beds", "7")
    assert result.exit_code == 0, result.output
    assert _notes(seed_app) == 2
    assert _sprout_calls() == [7]


def test_seed_plugin_option_zero_leaves_the_plugin_out(seed_app):
    result = invoke_cli(seed_app, "seed", "--example", "0", "--sprout-beds", "3")
    assert result.exit_code == 0, result.output
    assert "Demo data added by: sprout_beds (3)" in result.output
    assert _notes(seed_app) == 0


def test_seed_help_lists_one_option_per_plugin_with_demo_data(seed_app):
    result = invoke_cli(seed_app, "seed", "--help")
    assert result.exit_code == 0, result.output
    assert "--size" in result.output
    assert "--example N" in result.output and "--sprout-beds N" in result.output


def test_seed_refuses_an_option_for_a_plugin_that_is_not_enabled(seed_app):
    result = invoke_cli(seed_app, "seed", "--customers", "5")
    assert result.exit_code == 2
    assert "No such option '--customers'" in result.output
    assert _notes(seed_app) == 0
