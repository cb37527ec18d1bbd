"""Fixtures of the customers plugin's tests: an app with customers enabled and its session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.orm import Session


@pytest.fixture
def customers_app(crm_make_app) -> Flask:
    """An app with the customers plugin alone, on a fresh migrated SQLite database."""
    return crm_make_app(plugins=["customers"])


@pytest.fixture
def session(customers_app: Flask) -> Iterator[Session]:
    """The app context's session of ``customers_app`` (the services' first argument)."""
    from crm_core.db import get_session

    with customers_app.test_request_context():
        yield get_session()
