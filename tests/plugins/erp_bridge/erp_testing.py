"""Helpers of the ERP bridge tests (imported by their modules and conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import Flask


def erp_app_at(instance: Path) -> Iterator[Flask]:
    """An app with customers, sales and the ERP bridge on a fresh migrated SQLite database in
    ``instance``; its engine disposed of afterwards."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    app = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}",
                                 ["customers", "sales", "erp_bridge"]))
    with app.app_context():
        upgrade(app)
    yield app
    app.extensions["crm_db"].engine.dispose()
