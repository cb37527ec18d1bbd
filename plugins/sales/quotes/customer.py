"""The customer of a quote or an order, reached only through customers' public services.

``customer_model()`` is the class mapped to customers' published table (for a Resource's
relation field, which reads it through its data scope); ``customer_card`` is what a
printed document says of the customer, its phone and address (sensitive fields of the
customers plugin) as the user may see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from crm_core.toolkit import model_for_table, sensitive, system_context
from plugins.customers.services import CUSTOMER_TABLE, CustomerNotFound, get_customer

#: the customers plugin's record kind for its sensitive fields (phones, address)
CUSTOMER_KIND = "customers.customer"


def customer_model() -> type:
    """The mapped class of ``customers.services.CUSTOMER_TABLE`` (never imported by name)."""
    return model_for_table(CUSTOMER_TABLE)


@dataclass(frozen=True)
class CustomerCard:
    """A customer's name and address as a document prints them."""

    name: str
    address: str
    phone: str
    #: the phone and address are in clear for a user who may only reveal them one at a time
    #: (a rep): the printing is logged as a reveal
    revealed: bool = False


def customer_card(session: Session, customer_id: int, user: Any) -> CustomerCard:
    """The customer's name, address and phone for a document ``user`` may see. A document
    names its customer even when the customer itself lies outside the user's scope (another
    department's customer on a shared quote): read through the system context then. The
    phone and address are in clear for a user who sees sensitive values; for one who may
    reveal them (a rep) when the customer is theirs to see (``revealed``: the caller logs
    it); masked otherwise."""
    in_scope = True
    try:
        customer = get_customer(session, customer_id, user=user, include_trash=True)
    except CustomerNotFound:
        in_scope = False
        with system_context("print a sales document's customer"):
            try:
                customer = get_customer(session, customer_id, include_trash=True)
            except CustomerNotFound:
                return CustomerCard("", "", "")
    address = customer.address or ""
    phones = list(getattr(customer, "phones", None) or [])
    phone = phones[0] if phones else ""
    revealed = False
    if not sensitive.may_see(CUSTOMER_KIND, user):
        if in_scope and sensitive.may_reveal(CUSTOMER_KIND, user):
            revealed = bool(address or phone)
        else:
            address = sensitive.mask_value(CUSTOMER_KIND, "address", address, user) or ""
            phone = sensitive.mask_value(CUSTOMER_KIND, "phones", phone, user) or ""
    place = "".join(part for part in (customer.province, customer.city, address) if part)
    return CustomerCard(customer.name or "", place, phone, revealed)
