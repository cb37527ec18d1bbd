"""Shared fixtures of the ERP bridge tests: one migrated app with the ERP bridge per process
(building one costs seconds), and a fake Odoo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from erp_testing import erp_app_at
from flask import Flask


@pytest.fixture(scope="session")
def erp_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with customers, sales and the ERP bridge on a fresh migrated SQLite database, shared
    by the ERP bridge tests of a process: make connections with unique names."""
    yield from erp_app_at(tmp_path_factory.mktemp("erp-app"))
