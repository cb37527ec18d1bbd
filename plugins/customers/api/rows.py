"""The API's customer list, fast: a page of plain rows and its children in a few statements.

A list request reads the page (the customers' columns and their type's name, one
statement), their phones, emails and tags (one ``UNION ALL`` statement) and their owners'
names (one statement), and writes the JSON itself: loading ORM objects with their
``selectin`` collections and dumping them through marshmallow cost about three quarters of
a request (issue 11, "Speed at a million"). ``present_rows`` answers exactly what
``CustomerOut`` would: ``tests/plugins/customers/test_customers_api_statements.py`` checks
it, and the statements.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
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

from crm_core.toolkit import Page, paginate, user_names

from ..models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    CustomerType,
    Tag,
)
from ..records.queries import SORTS, list_statement

__all__ = ["ROW_COLUMNS", "list_customer_rows", "page_children", "present_rows"]

#: What a list row reads: the customer's own columns and its type's name.
ROW_COLUMNS = (Customer.id, Customer.code, Customer.name, Customer.kind,
               Customer.customer_type_id, CustomerType.name.label("type_name"),
               Customer.industry, Customer.province, Customer.city, Customer.country,
               Customer.source, Customer.level, Customer.status, Customer.owner_id,
               Customer.department_id, Customer.address, Customer.website, Customer.uscc,
               Customer.total_amount, Customer.last_contact_at, Customer.notes,
               Customer.deleted_at, Customer.created_at, Customer.updated_at)

#: One row of a page (``paginate`` hands plain tuples back).
ListRow = namedtuple("ListRow", [getattr(column, "key", None) or column.name
                                 for column in ROW_COLUMNS])
PHONE, EMAIL, TAG = 0, 1, 2


def list_customer_rows(session: Session, *, user: Any, filters: Mapping[str, Any] | None
                       = None, sort: str = "updated", descending: bool = True,
                       limit: int = 50, cursor: str | None = None) -> Page:
    """``list_customers``'s page (same scope, filters, order and cursors) as plain rows of
    ``ROW_COLUMNS``: one statement, no ORM objects."""
    statement = list_statement(
        select(*ROW_COLUMNS).outerjoin(CustomerType,
                                       CustomerType.id == Customer.customer_type_id),
        user=user, filters=filters, sort=sort, session=session)
    return paginate(session, statement, sort=SORTS[sort], id_column=Customer.id,
                    descending=descending, limit=limit, cursor=cursor)


def _children_statement() -> Any:
    """Phones, emails and tags of the customers ``:ids``, as (part, customer, position, text,
    tag id, colour): built once, run with each page's ids."""
    wanted = bindparam("ids", expanding=True)
    return union_all(
        select(literal(PHONE).label("part"), CustomerPhone.customer_id,
               CustomerPhone.position.label("position"), CustomerPhone.number.label("text"),
               # typed: PostgreSQL would take two untyped NULLs for text
               cast(null(), Integer).label("tag_id"), cast(null(), String).label("colour"))
        .where(CustomerPhone.customer_id.in_(wanted)),
        select(literal(EMAIL), CustomerEmail.customer_id, CustomerEmail.position,
               CustomerEmail.email, cast(null(), Integer), cast(null(), String))
        .where(CustomerEmail.customer_id.in_(wanted)),
        select(literal(TAG), CustomerTag.customer_id, literal(0), Tag.name, Tag.id,
               Tag.colour)
        .join(Tag, Tag.id == CustomerTag.tag_id).where(CustomerTag.customer_id.in_(wanted)),
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
    for part, customer_id, _position, text, tag_id, colour in session.execute(
            CHILDREN, {"ids": list(ids)}).all():
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


def present_rows(session: Session, rows: Iterable[Any]) -> list[dict[str, Any]]:
    """The rows of ``list_customer_rows`` as ``CustomerOut`` dumps them, with their
    phones, emails and tags (one statement) and owners' names (one more)."""
    rows = [ListRow._make(row) for row in rows]
    phones, emails, tags = page_children(session, [row.id for row in rows])
    owners = user_names(session, (row.owner_id for row in rows))
    return [{
        "id": row.id, "code": row.code, "name": row.name, "kind": row.kind,
        "customer_type": ({"id": row.customer_type_id, "name": row.type_name or ""}
                          if row.customer_type_id is not None else None),
        "industry": row.industry,
        "region": {"province": row.province, "city": row.city, "country": row.country},
        "source": row.source, "level": row.level, "status": row.status,
        "owner": ({"id": row.owner_id, "name": owners.get(row.owner_id, "")}
                  if row.owner_id is not None else None),
        "department_id": row.department_id, "phones": phones.get(row.id, []),
        "emails": emails.get(row.id, []), "address": row.address, "website": row.website,
        "uscc": row.uscc, "total_amount": f"{Decimal(row.total_amount or 0).scaleb(-2):.2f}",
        "last_contact_at": _when(row.last_contact_at), "notes": row.notes,
        "tags": tags.get(row.id, []), "in_trash": row.deleted_at is not None,
        "created_at": _when(row.created_at), "updated_at": _when(row.updated_at),
    } for row in rows]
