"""Helpers of the marketing tests (no tests here): customers with tagged contacts, consents
recorded straight through the services, reads from the database."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask

from crm_core.testing_clients import client_as  # noqa: F401 - the tests' name
from crm_core.testing_clients import csrf_token_of as csrf  # noqa: F401 - the tests' name
from crm_core.testing_clients import read_row as read  # noqa: F401 - the tests' name


def unique() -> str:
    """A short unique text for names and addresses."""
    return uuid.uuid4().hex[:8]


def tagged_customers(app: Flask, people: list[dict[str, Any]], *, tag: str | None = None
                     ) -> dict[str, Any]:
    """A fresh tag and, per entry of ``people`` (``email``, ``primary`` default True,
    ``tagged`` default True, ``consent``: True / False / None), a customer with one contact;
    returns ``{"tag_id", "customer_ids", "contact_ids"}``."""
    from plugins.customers import services as customers
    from plugins.marketing.consents import record_consent

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        made = customers.create_tag(session, tag or f"展会客户 {unique()}")
        customer_ids, contact_ids = [], []
        for person in people:
            customer = customers.create_customer(session, name=f"华东制造 {unique()}")
            contact = customers.add_contact(session, customer.id, "王经理",
                                            email=person.get("email", ""),
                                            is_primary=person.get("primary", True))
            if person.get("tagged", True):
                customers.add_tag(session, customer.id, made.id)
            if person.get("consent") is not None:
                record_consent(session, {"email": person["email"], "granted":
                                         person["consent"], "source": "import"}, None)
            customer_ids.append(customer.id)
            contact_ids.append(contact.id)
        session.commit()
        result = {"tag_id": made.id, "customer_ids": customer_ids, "contact_ids": contact_ids}
        session.close()
    return result
