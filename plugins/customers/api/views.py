"""The customers REST API under /api/v1: customers, contacts, contact records, types, tags.

Thin endpoints: each loads its arguments with a schema (``api_schemas``), checks its
permission (``api_endpoint``), calls a service with the caller as ``user`` (so a customer
outside the caller's data scope answers 404) and dumps the answer. A list page loads the
tags, owners and types of its customers in one query each, never one per customer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from crm_core.toolkit import Page, api_endpoint, db, paginate, sensitive, user_names

from .. import services
from ..exporting.views import customer_tags
from ..models import Contact, ContactRecord, Customer, CustomerType, Tag
from ..records import custom as custom_values
from ..records.masking import CONTACT, CUSTOMER, mask_customer_rows
from .rows import list_customer_rows, present_rows
from .schemas import (
    ContactIn,
    ContactOut,
    ContactRecordIn,
    ContactRecordOut,
    CustomerIn,
    CustomerListQuery,
    CustomerOut,
    CustomerPatchIn,
    CustomerTagIn,
    CustomerTagOut,
    CustomerTypeIn,
    CustomerTypeOut,
)

__all__ = ["api", "blueprints", "present_customers"]

api = Blueprint("customers_api", __name__)

VIEW = "customers.customer.view"
CREATE = "customers.customer.create"
EDIT = "customers.customer.edit"
DELETE = "customers.customer.delete"
TAGS = ["customers"]
FILTERS = ("customer_type_id", "industry", "province", "city", "kind", "level", "status",
           "owner_id", "tag_id", "amount_min", "amount_max", "created_from", "created_to",
           "last_contact_from", "last_contact_to")


def blueprints() -> list[Blueprint]:
    """The API's own blueprint (its routes live under /api/v1, not /customers)."""
    return [api]


def _me() -> Any:
    """The caller as a user object: services given ``user=None`` would skip the scope."""
    return current_user._get_current_object()  # noqa: SLF001 - Flask-Login's proxy


@contextmanager
def _in_scope() -> Iterator[None]:
    """A customer that does not exist or lies outside the caller's scope answers 404."""
    try:
        yield
    except services.CustomerNotFound:
        abort(404)


def _viewer() -> Any:
    """The signed-in caller, or None outside a request (custom fields: no role limits)."""
    from flask import has_request_context

    if has_request_context() and current_user and current_user.is_authenticated:
        return _me()
    return None


def present_customers(customers: Sequence[Customer]) -> list[dict[str, Any]]:
    """The customers as ``CustomerOut`` dicts, with their tags, owners and types loaded in
    one query each (phones and emails come with the customers themselves), masked for a
    caller without ``customers.customer.view_sensitive``."""
    session = db.session
    ids = [customer.id for customer in customers]
    tags = customer_tags(session, ids)
    owners = user_names(session, (customer.owner_id for customer in customers))
    type_ids = {customer.customer_type_id for customer in customers} - {None}
    types = {row.id: row.name for row in session.execute(select(
        CustomerType.id, CustomerType.name).where(CustomerType.id.in_(type_ids)))
    } if type_ids else {}
    customs = custom_values.api_custom(session, _viewer(), customers)
    return mask_customer_rows([{
        "id": customer.id, "code": customer.code, "name": customer.name,
        "kind": customer.kind, "industry": customer.industry,
        "customer_type": ({"id": customer.customer_type_id,
                           "name": types.get(customer.customer_type_id, "")}
                          if customer.customer_type_id is not None else None),
        "region": {"province": customer.province, "city": customer.city,
                   "country": customer.country},
        "source": customer.source, "level": customer.level, "status": customer.status,
        "owner": ({"id": customer.owner_id, "name": owners.get(customer.owner_id, "")}
                  if customer.owner_id is not None else None),
        "department_id": customer.department_id, "phones": customer.phones,
        "emails": customer.emails, "address": customer.address, "website": customer.website,
        "uscc": customer.uscc, "total_amount": f"{customer.total_amount_decimal:.2f}",
        "last_contact_at": customer.last_contact_at, "notes": customer.notes,
        "tags": tags.get(customer.id, []), "custom": customs.get(customer.id, {}),
        "in_trash": customer.in_trash,
        "created_at": customer.created_at, "updated_at": customer.updated_at,
        "id_card_number": customer.id_card_number, "bank_name": customer.bank_name,
        "bank_account": customer.bank_account,
    } for customer in customers])


# ---------------------------------------------------------------------------- customers


@api_endpoint(api, "/api/v1/customers", permission=VIEW, query=CustomerListQuery,
              response=CustomerOut, page=True, tags=TAGS)
def list_customers(query: dict[str, Any]) -> Page | Response:
    """The customers you may see, filtered and sorted, by cursor.

    Filters are those of the customer list page. With `q`, the answer is the best matches
    of a search (ranked, one page, `next_cursor` null). With `trash=true`, the trash is
    listed instead (permission `customers.customer.delete`).
    """
    filters = {key: query[key] for key in FILTERS if query.get(key) is not None}
    custom_filters = custom_values.api_filters(db.session, request.args, _me())
    if custom_filters:
        filters["custom"] = custom_filters
    if query["q"]:
        from ..search import services as search

        hits = search.search_customers(db.session, query["q"], user=_me(),
                                       limit=query["limit"], filters=filters)
        return Page(items=present_customers(hits))
    if query["trash"]:
        if not current_user.has_permission(DELETE):
            abort(403)
        filters["trash"] = True
    sort = query["sort"]
    page = list_customer_rows(db.session, user=_me(), filters=filters,
                              sort=sort.lstrip("-"), descending=sort.startswith("-"),
                              limit=query["limit"], cursor=query["cursor"])
    # already in CustomerOut's shape (rows.present_rows): answered as is, not dumped again
    # field by field (issue 11: marshmallow took a third of the request)
    items = present_rows(db.session, page.items)
    custom_values.add_custom_to_items(db.session, _me(), items)
    return jsonify({"items": mask_customer_rows(items, in_place=True),
                    "next_cursor": page.next_cursor})


@api_endpoint(api, "/api/v1/customers", methods=["POST"], permission=CREATE, body=CustomerIn,
              response=CustomerOut, status=201, tags=TAGS)
def create_customer(body: dict[str, Any]) -> dict[str, Any]:
    """Add a customer.

    Phones are checked (Chinese mobile and landline formats, international numbers with +),
    emails and the USCC too; a refused value answers 422 naming its field. The owner
    defaults to you; the customer belongs to its owner's department, whoever the owner is
    (an owner of another department takes it out of your sight if your scope is your
    department).
    """
    body.setdefault("owner_id", _me().id)
    body = sensitive.keep_stored(CUSTOMER, body)  # a masked value is refused (422)
    body["custom"] = body.get("custom") or {}  # a new customer gets the fields' defaults
    custom_values.check_api_values(db.session, body["custom"], _me(), None)
    customer = services.create_customer(db.session, **body)
    db.session.commit()
    return present_customers([customer])[0]


@api_endpoint(api, "/api/v1/customers/<int:customer_id>", permission=VIEW,
              response=CustomerOut, tags=TAGS)
def get_customer(customer_id: int) -> dict[str, Any]:
    """One customer; 404 when it is outside your data scope or in the trash."""
    with _in_scope():
        customer = services.get_customer(db.session, customer_id, user=_me())
    return present_customers([customer])[0]


@api_endpoint(api, "/api/v1/customers/<int:customer_id>", methods=["PATCH"], permission=EDIT,
              body=CustomerPatchIn, response=CustomerOut, tags=TAGS)
def update_customer(customer_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Change some fields of a customer; the others stay as they are.

    A new `owner_id` moves the customer to that owner's department. The answer shows the
    customer as saved, even when the new owner takes it out of your data scope.
    """
    with _in_scope():
        customer = services.get_customer(db.session, customer_id, user=_me())
        # a mask read from the API and sent back keeps the stored value
        body = sensitive.keep_stored(CUSTOMER, body, customer)
        if "custom" in body:
            custom_values.check_api_values(db.session, body["custom"], _me(), customer)
        services.update_customer(db.session, customer_id, body, user=_me())
    db.session.commit()
    return present_customers([customer])[0]


@api_endpoint(api, "/api/v1/customers/<int:customer_id>", methods=["DELETE"],
              permission=DELETE, status=204, tags=TAGS)
def delete_customer(customer_id: int) -> None:
    """Move a customer to the trash (it can be restored from the trash page)."""
    with _in_scope():
        services.delete_customer(db.session, customer_id, user=_me())
    db.session.commit()


# ---------------------------------------------------------------------------- contacts


def _check_customer(customer_id: int) -> None:
    with _in_scope():
        services.get_customer(db.session, customer_id, user=_me())


@api_endpoint(api, "/api/v1/customers/<int:customer_id>/contacts", permission=VIEW,
              response=ContactOut, page=True, tags=TAGS)
def list_contacts(customer_id: int) -> Page:
    """The contact persons of a customer, oldest first."""
    _check_customer(customer_id)
    return paginate(db.session, select(Contact).where(Contact.customer_id == customer_id))


@api_endpoint(api, "/api/v1/customers/<int:customer_id>/contacts", methods=["POST"],
              permission=EDIT, body=ContactIn, response=ContactOut, status=201, tags=TAGS)
def add_contact(customer_id: int, body: dict[str, Any]) -> Contact:
    """Add a contact person to a customer; a primary one makes the others non-primary."""
    body = sensitive.keep_stored(CONTACT, body)  # a masked value is refused (422)
    with _in_scope():
        contact = services.add_contact(db.session, customer_id, body.pop("name"), **body,
                                       user=_me())
    db.session.commit()
    return contact


@api_endpoint(api, "/api/v1/customers/<int:customer_id>/contact-records", permission=VIEW,
              response=ContactRecordOut, page=True, tags=TAGS)
def list_contact_records(customer_id: int) -> Page:
    """The contact records of a customer, newest first."""
    _check_customer(customer_id)
    return paginate(db.session, select(ContactRecord).where(
        ContactRecord.customer_id == customer_id), sort=ContactRecord.occurred_at,
        descending=True)


@api_endpoint(api, "/api/v1/customers/<int:customer_id>/contact-records", methods=["POST"],
              permission=EDIT, body=ContactRecordIn, response=ContactRecordOut, status=201,
              tags=TAGS)
def add_contact_record(customer_id: int, body: dict[str, Any]) -> ContactRecord:
    """Record a call, visit, email, meeting or other contact; you are its author."""
    me = _me()
    with _in_scope():
        record = services.add_contact_record(db.session, customer_id, **body, user_id=me.id,
                                             user=me)
    db.session.commit()
    return record


# ---------------------------------------------------------------------------- types and tags


@api_endpoint(api, "/api/v1/customer-types", permission=VIEW, response=CustomerTypeOut,
              page=True, tags=TAGS)
def list_customer_types() -> Page:
    """The customer types, in the order an administrator set."""
    return paginate(db.session, select(CustomerType), sort=CustomerType.position)


@api_endpoint(api, "/api/v1/customer-types", methods=["POST"],
              permission="customers.type.manage", body=CustomerTypeIn,
              response=CustomerTypeOut, status=201, tags=TAGS)
def create_customer_type(body: dict[str, Any]) -> CustomerType:
    """Add a customer type (the name is unique)."""
    kind = services.create_customer_type(db.session, body["name"], body["description"])
    db.session.commit()
    return kind


@api_endpoint(api, "/api/v1/tags", permission=VIEW, response=CustomerTagOut, page=True,
              tags=TAGS)
def list_tags() -> Page:
    """The customer tags with their colours."""
    return paginate(db.session, select(Tag))


@api_endpoint(api, "/api/v1/tags", methods=["POST"], permission="customers.tag.manage",
              body=CustomerTagIn, response=CustomerTagOut, status=201, tags=TAGS)
def create_tag(body: dict[str, Any]) -> Tag:
    """Add a tag with a colour (#rrggbb); the name is unique."""
    tag = services.create_tag(db.session, body["name"], body["colour"])
    db.session.commit()
    return tag
