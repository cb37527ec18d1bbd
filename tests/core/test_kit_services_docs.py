"""The reference of a plugin's public services is generated from the code, so it lists every
name of ``services.__all__`` with its signature and docstring and cannot go stale."""

from __future__ import annotations

import inspect

import pytest

from crm_core.docs_cli import service_docs, services_markdown
from crm_core.testing import invoke_cli
from plugins.customers import models
from plugins.customers import services as customers_services

pytestmark = pytest.mark.crm_plugins("customers")


def test_the_reference_lists_every_public_name_with_its_signature():
    text = services_markdown("customers")
    for name in customers_services.__all__:
        assert f"## `{name}`" in text
        obj = getattr(customers_services, name)
        if inspect.isfunction(obj):
            assert f"{name}{inspect.signature(obj)}" in text
    assert 'CUSTOMER_ID = \'customers_customer.id\'' in text
    assert "_Not documented._" not in text


@pytest.mark.parametrize("entry", service_docs(customers_services), ids=lambda e: e.name)
def test_every_public_service_has_a_docstring(entry):
    assert entry.doc.strip(), f"plugins/customers/services.py: document {entry.name}"


def test_the_published_table_names_are_the_models_tables():
    assert customers_services.CUSTOMER_TABLE == models.Customer.__tablename__
    assert customers_services.CUSTOMER_ID == f"{models.Customer.__table__.c.id}"
    assert customers_services.CONTACT_TABLE == models.Contact.__tablename__
    assert customers_services.CONTACT_ID == f"{models.Contact.__table__.c.id}"


def test_crm_docs_services_prints_or_writes_the_reference(crm_app, tmp_path):
    printed = invoke_cli(crm_app, "docs", "services", "customers")
    assert printed.exit_code == 0, printed.output
    assert printed.output == services_markdown("customers")
    target = tmp_path / "services" / "customers.md"
    written = invoke_cli(crm_app, "docs", "services", "customers", "-o", str(target))
    assert written.exit_code == 0 and target.read_text(encoding="utf-8") == printed.output
    unknown = invoke_cli(crm_app, "docs", "services", "nosuch")
    assert unknown.exit_code != 0 and "no plugin called 'nosuch'" in unknown.output
