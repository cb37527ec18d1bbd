"""Shared fixtures of the service tests: one migrated app with customers and service per
process (building one costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask


@pytest.fixture(scope="session")
def service_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with the customers and service plugins on a fresh migrated SQLite database,
    shared by the service tests of a process: make records with unique names."""
    from crm_core.testing import migrated_app

    yield from migrated_app(tmp_path_factory.mktemp("service-app"), ["customers", "service"])
