"""The contacts (the people at customers), declared once as a ``toolkit.Resource``: the list
of every contact the user may see at ``/customers/contacts`` (quick search by name, phone or
email, filter by customer, sort by name), their forms, detail page, export and the API at
``/api/v1/customers/contacts``.

A contact is in a user's scope when its customer is (``ScopeThrough`` on the model): another
department's contact answers 404 on every page and API route. Writes go through the contact
services (``contacts.py``), so names and phones are checked, one primary contact stays per
customer and the customer's search document follows. The customer's page lists its contacts
and links here with the customer preselected and itself as ``next``.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from crm_core.toolkit import Field, Filter, Panel, Resource, format_phone

from ..models import Contact, Customer
from ..validation import FieldError
from . import services as contacts

EDIT = "customers.customer.edit"


def _create(session: Session, values: dict[str, Any], user: Any) -> Contact:
    customer_id = values.get("customer_id")
    if customer_id is None:
        raise FieldError("customer_id", _("Choose a customer."))
    return contacts.add_contact(
        session, customer_id, values.get("name") or "", title=values.get("title") or "",
        phones=values.get("phones") or [], email=values.get("email") or "",
        is_primary=bool(values.get("is_primary")), user=user)


def _update(session: Session, contact: Contact, values: dict[str, Any], user: Any) -> Contact:
    moved = values.get("customer_id")
    if moved is not None and moved != contact.customer_id:
        raise FieldError("customer_id", _("A contact stays with its customer: add the person "
                                          "to the other customer instead."))
    changes = {name: values[name] for name in contacts.CONTACT_FIELDS if name in values}
    contacts.update_contact(session, contact.id, changes, user=user)
    return contact


def _delete(session: Session, contact: Contact, user: Any) -> None:
    contacts.delete_contact(session, contact.id, user=user)


def _customer_link(contact: Contact) -> dict[str, Any]:
    return {"url": url_for("customers.detail", customer_id=contact.customer_id,
                           _anchor="contacts")}


CONTACTS = Resource(
    model=Contact, name="contacts", label=_l("Contacts"), label_one=_l("Contact"),
    fields=[Field("customer_id", _l("Customer"), relation=Customer, relation_label="name"),
            Field("name", _l("Full name")),
            Field("title", _l("Job title")),
            Field("phones", _l("Phones"), description=_l("Separate several with commas."),
                  format=lambda phones: ", ".join(format_phone(phone) for phone in phones)),
            Field("email", _l("Email address")),
            Field("is_primary", _l("Primary contact"))],
    title_field="name",
    columns=["name", "customer_id", "title", "phones", "email"],
    filters=[Filter("customer_id", "relation")],
    sorts=["name"], default_sort="name", search=["name", "phones", "email"],
    # Contacts are part of their customer: the customer's permissions govern them.
    permissions={"view": "customers.customer.view", "create": EDIT, "edit": EDIT,
                 "delete": EDIT, "export": "customers.customer.export"},
    actions=("view", "create", "edit", "delete", "export"),
    create=_create, update=_update, delete=_delete,
    panels=[Panel(_l("Customer"), "customers/_contact_customer.html", _customer_link)],
    icon="person-lines-fill", order=105,
)


def resources() -> list[Resource]:
    """The customers plugin's contacts resource (for ``crm_resources``)."""
    return [CONTACTS]
