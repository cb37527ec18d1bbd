"""Shared fixtures of the ERP bridge tests: one migrated app with the ERP bridge per process
(building one costs seconds), and a fake Odoo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask


@pytest.fixture(scope="session")
def erp_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with customers, sales and the ERP bridge on a fresh migrated SQLite database, shared
    by the ERP bridge tests of a process: make connections with unique names."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    instance = tmp_path_factory.mktemp("erp-app")
    app = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}",
                                 ["customers", "sales", "erp_bridge"]))
    with app.app_context():
        upgrade(app)
    yield app
    app.extensions["crm_db"].engine.dispose()
