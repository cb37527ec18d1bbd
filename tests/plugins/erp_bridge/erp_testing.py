"""Helpers of the ERP bridge tests (imported by their modules and conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import Flask

from crm_core.testing import migrated_app


def erp_app_at(instance: Path) -> Iterator[Flask]:
    """An app with customers, sales and the ERP bridge on a fresh migrated SQLite database in
    ``instance``; its engine disposed of afterwards."""
    yield from migrated_app(instance, ["customers", "sales", "erp_bridge"])
