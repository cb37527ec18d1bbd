"""The API's customer list, fast: a page of plain rows and its children in two statements.

A list request reads the page (the customers' columns, their type's name and their owner's
name, one statement) and their phones, emails and tags (one ``UNION ALL`` statement), and
writes the JSON itself: loading ORM objects with their ``selectin`` collections and dumping
them through marshmallow cost about three quarters of a request (issue 11, "Speed at a
million"). The children are read through the tables' own columns on the session's
connection: no ORM result machinery for rows that are plain values. ``present_rows``
answers exactly what ``CustomerOut`` would: ``test_customers_api_statements.py`` and
``test_customers_api_pages.py`` check it, and the statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from crm_core.toolkit import Model, Page, paginate

from ..models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    CustomerType,
    Tag,
)
from ..records.queries import SORTS, list_statement

__all__ = ["list_customer_rows", "page_children", "present_rows"]

PHONE, EMAIL, TAG = 0, 1, 2


@cache
def _page_select() -> Any:
    """What a list row reads: the customer's own columns, its type's name and its owner's
    names (``present_rows`` unpacks them in this order). Built once: only the scope, the
    filters and the page's bounds differ between requests."""
    users = Model.metadata.tables["core_user"]
    return select(
        Customer.id, Customer.code, Customer.name, Customer.kind, Customer.customer_type_id,
        CustomerType.name.label("type_name"), Customer.industry, Customer.province,
        Customer.city, Customer.country, Customer.source, Customer.level, Customer.status,
        Customer.owner_id, users.c.display_name.label("owner_display_name"),
        users.c.username.label("owner_username"), Customer.department_id, Customer.address,
        Customer.website, Customer.uscc, Customer.total_amount, Customer.last_contact_at,
        Customer.notes, Customer.deleted_at, Customer.created_at, Customer.updated_at,
    ).outerjoin(CustomerType, CustomerType.id == Customer.customer_type_id).outerjoin(
        users, users.c.id == Customer.owner_id)


def list_customer_rows(session: Session, *, user: Any, filters: Mapping[str, Any] | None
                       = None, sort: str = "updated", descending: bool = True,
                       limit: int = 50, cursor: str | None = None) -> Page:
    """``list_customers``'s page (same scope, filters, order and cursors) as plain rows:
    one statement, no ORM objects."""
    statement = list_statement(_page_select(), user=user, filters=filters, sort=sort,
                               session=session)
    return paginate(session, statement, sort=SORTS[sort], id_column=Customer.id,
                    descending=descending, limit=limit, cursor=cursor)


def _children_statement() -> Any:
    """Phones, emails and tags of the customers ``:ids``, as (part, customer, position, text,
    tag id, colour): built once, run with each page's ids."""
    wanted = bindparam("ids", expanding=True)
    phone, email = CustomerPhone.__table__.c, CustomerEmail.__table__.c
    link, tag = CustomerTag.__table__.c, Tag.__table__.c
    return union_all(
        select(literal(PHONE).label("part"), phone.customer_id,
               phone.position.label("position"), phone.number.label("text"),
               # typed: PostgreSQL would take two untyped NULLs for text
               cast(null(), Integer).label("tag_id"), cast(null(), String).label("colour"))
        .where(phone.customer_id.in_(wanted)),
        select(literal(EMAIL), email.customer_id, email.position, email.email,
               cast(null(), Integer), cast(null(), String))
        .where(email.customer_id.in_(wanted)),
        select(literal(TAG), link.customer_id, literal(0), tag.name, tag.id, tag.colour)
        .join_from(CustomerTag.__table__, Tag.__table__, tag.id == link.tag_id)
        .where(link.customer_id.in_(wanted)),
    ).order_by("part", "position", "text", "tag_id")


CHILDREN = _children_statement()


def page_children(session: Session, ids: Sequence[int]
                  ) -> tuple[dict[int, list[str]], dict[int, list[str]], dict[int, list[Any]]]:
    """The phones, emails (each in their order) and tags (by name) of these customers, in
    one statement: ``({id: [phone]}, {id: [email]}, {id: [{"id", "name", "colour"}]})``."""
    phones: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    tags: dict[int, list[Any]] = {}
    if not ids:
        return phones, emails, tags
    rows = session.connection().execute(CHILDREN, {"ids": list(ids)}).all()
    for part, customer_id, _position, text, tag_id, colour in rows:
        if part == PHONE:
            phones.setdefault(customer_id, []).append(text)
        elif part == EMAIL:
            emails.setdefault(customer_id, []).append(text)
        else:
            tags.setdefault(customer_id, []).append(
                {"id": tag_id, "name": text, "colour": colour})
    return phones, emails, tags


def _when(value: dt.datetime | None) -> str | None:
    # as UtcDateTime dumps it: ISO 8601 with its offset, naive values (SQLite) being UTC
    if value is None:
        return None
    if value.tzinfo is None:
        return value.isoformat() + "+00:00"
    return value.isoformat()


def _amount(minor: int | None) -> str:
    # as CustomerOut dumps total_amount_decimal: major units, two decimals
    whole, cents = divmod(abs(minor or 0), 100)
    return f"{'-' if (minor or 0) < 0 else ''}{whole}.{cents:02d}"


def present_rows(session: Session, rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """The rows of ``list_customer_rows`` as ``CustomerOut`` dumps them, with their
    phones, emails and tags (one statement)."""
    rows = list(rows)
    phones, emails, tags = page_children(session, [row[0] for row in rows])
    no_values: list[Any] = []  # shared by the customers without phones, emails or tags
    return [{
        "id": id_, "code": code, "name": name, "kind": kind,
        "customer_type": ({"id": type_id, "name": type_name or ""}
                          if type_id is not None else None),
        "industry": industry, "region": {"province": province, "city": city,
                                         "country": country},
        "source": source, "level": level, "status": status,
        "owner": ({"id": owner_id, "name": owner_display or owner_username or ""}
                  if owner_id is not None else None),
        "department_id": department_id, "phones": phones.get(id_, no_values),
        "emails": emails.get(id_, no_values), "address": address, "website": website,
        "uscc": uscc, "total_amount": _amount(total_amount),
        "last_contact_at": _when(last_contact_at), "notes": notes,
        "tags": tags.get(id_, no_values), "in_trash": deleted_at is not None,
        "created_at": _when(created_at), "updated_at": _when(updated_at),
    } for (id_, code, name, kind, type_id, type_name, industry, province, city, country,
           source, level, status, owner_id, owner_display, owner_username, department_id,
           address, website, uscc, total_amount, last_contact_at, notes, deleted_at,
           created_at, updated_at) in rows]
