"""Shared fixtures of the marketing tests: one migrated app with customers and marketing per
process (building one costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask


@pytest.fixture(scope="session")
def marketing_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with the customers and marketing plugins on a fresh migrated SQLite database,
    shared by the marketing tests of a process: make records with unique names."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    instance = tmp_path_factory.mktemp("marketing-app")
    app = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}",
                                 ["customers", "marketing"]))
    # hits counted in their request, so a test reads its counts at once; the batched
    # (default) way is tested where a test sets the interval and flushes
    app.config["CRM_MARKETING_TRACKING_BATCH_SECONDS"] = 0
    with app.app_context():
        upgrade(app)
    yield app
    app.extensions["crm_db"].engine.dispose()
