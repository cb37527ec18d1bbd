"""The customer of a quote or an order, reached only through customers' public services.

``customer_model()`` is the class mapped to customers' published table (for a Resource's
relation field, which reads it through its data scope); ``customer_card`` is what a
printed document says of the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from crm_core.toolkit import model_for_table, system_context
from plugins.customers.services import CUSTOMER_TABLE, CustomerNotFound, get_customer


def customer_model() -> type:
    """The mapped class of ``customers.services.CUSTOMER_TABLE`` (never imported by name)."""
    return model_for_table(CUSTOMER_TABLE)


@dataclass(frozen=True)
class CustomerCard:
    """A customer's name and address as a document prints them."""

    name: str
    address: str
    phone: str


def customer_card(session: Session, customer_id: int, user: Any) -> CustomerCard:
    """The customer's name and address for a document ``user`` may see. A document names
    its customer even when the customer itself lies outside the user's scope (another
    department's customer on a shared quote): read through the system context then."""
    try:
        customer = get_customer(session, customer_id, user=user, include_trash=True)
    except CustomerNotFound:
        with system_context("print a sales document's customer"):
            try:
                customer = get_customer(session, customer_id, include_trash=True)
            except CustomerNotFound:
                return CustomerCard("", "", "")
    place = "".join(part for part in (customer.province, customer.city, customer.address)
                    if part)
    phones = list(getattr(customer, "phones", None) or [])
    return CustomerCard(customer.name or "", place, phones[0] if phones else "")
