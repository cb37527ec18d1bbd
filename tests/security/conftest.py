"""Fixtures of the security tests: ``make_world(database)`` builds the two departments'
app (see ``security_world``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from security_world import World, build_world

#: A crash answers as in production (the error handler's 500), not as an exception here;
#: the walks send thousands of API requests a minute, which the rate limit would refuse.
SETTINGS = {"PROPAGATE_EXCEPTIONS": False, "CRM_API_RATE_LIMIT": "100000 per minute"}


@pytest.fixture
def make_world(crm_make_app: Callable[..., Flask]) -> Callable[..., World]:
    """Factory: ``make_world(database="sqlite")`` is a fresh app (every plugin) with the two
    departments' users and records."""
    def make(database: str = "sqlite") -> World:
        return build_world(crm_make_app(database=database, **SETTINGS))
    return make


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory):
    """One SQLite world for a module's tests that only read (or are refused): building a
    world takes seconds, and the walks are many."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    instance = tmp_path_factory.mktemp("security")
    app = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}", None,
                                 **SETTINGS))
    with app.app_context():
        upgrade(app)
    yield build_world(app)
    app.extensions["crm_db"].engine.dispose()
