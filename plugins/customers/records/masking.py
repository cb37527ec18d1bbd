"""The customers plugin's sensitive fields (号码脱敏): a customer's phones, e-mails, address,
ID-card number and bank account, and a contact's phones and e-mail.

Users without ``customers.customer.view_sensitive`` (by default everyone but managers and
administrators) see ``139****5678`` and ``z***@example.com`` on the pages, in the API,
exports and search suggestions; a contact's values follow its customer's permissions.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import SensitiveFields, sensitive

from ..models import Contact, Customer

__all__ = ["CONTACT", "CUSTOMER", "mask_customer_rows", "protect_customer_form",
           "sensitive_fields"]

CUSTOMER = "customers.customer"
CONTACT = "customers.contact"
#: The customer's sensitive attributes (the API's keys are the same). ``id_card_number`` and
#: ``bank_account`` are stored encrypted; a customer without them shows nothing.
CUSTOMER_FIELDS = {"phones": "phone", "emails": "email", "address": "address",
                   "id_card_number": "id_card", "bank_account": "bank_account"}


def sensitive_fields() -> list[SensitiveFields]:
    """The declarations for ``crm_sensitive_fields``."""
    return [
        SensitiveFields(CUSTOMER, CUSTOMER_FIELDS, model=Customer, label=_l("Customers"),
                        # the history panel shows the phone and e-mail rows' changes too
                        audit={"customers_customer_phone": {"number": "phone"},
                               "customers_customer_email": {"email": "email"}}),
        # a contact is part of its customer: the customer's permissions govern it
        SensitiveFields(CONTACT, {"phones": "phone", "email": "email"}, model=Contact,
                        label=_l("Contacts"), view_permission="customers.customer.view",
                        permission_kind=CUSTOMER),
    ]


def mask_customer_rows(rows: list[dict[str, Any]], *, in_place: bool = False
                       ) -> list[dict[str, Any]]:
    """API rows of customers as the caller may see them (``in_place``: the caller's own
    dicts, masked as they are)."""
    return sensitive.mask_rows(CUSTOMER, rows, in_place=in_place)


def protect_customer_form(form: Any, customer: Any) -> Any:
    """The customer form of ``customer`` with masks for a user who sees them (and the
    stored values kept when the masks come back)."""
    return sensitive.protect_form(form, CUSTOMER, customer)


def export_maskers(user: Any) -> dict[str, Any]:
    """For an export by ``user`` (a user, an id, or None for the CLI: clear): a mask for
    each sensitive column the user may not read in clear, by attribute name."""
    found = {name: sensitive.field_masker(CUSTOMER, name, user) for name in CUSTOMER_FIELDS}
    return {name: masker for name, masker in found.items() if masker is not None}
