"""The API's customer list, fast: a page of plain rows and its children in two statements.

A list request reads the page (the customers' columns, their type's name and their owner's
name, one statement) and their phones, emails and tags (one ``UNION ALL`` statement), and
writes the JSON itself: loading ORM objects with their ``selectin`` collections and dumping
them through marshmallow cost about three quarters of a request (issue 11, "Speed at a
million"). The children are read through the tables' own columns on the session's
connection: no ORM result machinery for rows that are plain values. ``present_rows``
answers exactly what ``CustomerOut`` would: ``test_customers_api_statements.py`` and
``test_customers_api_pages.py`` check it, and the statements.

The unfiltered page, what most requests ask for, reuses a statement built once per kind of
scope, order and cursor, its values bound per request (``_unfiltered``): building the
statement, its SQL cache key and its result map each request was about a tenth of the
request (issue 11, throughput). ``test_customers_api_throughput.py`` holds it to what the
general way (``list_statement`` and ``paginate``) answers.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    MAX_LIMIT,
    Model,
    Page,
    bound_scope_condition,
    custom_fields,
    decode_cursor,
    page_of,
    paginate,
)

from ..listing.custom import sorted_customers
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
    filters and the page's bounds differ between requests.

    The tables' own columns, not the models' attributes: the page runs on the session's
    connection (``paginate``), and a result keyed by the ORM's annotated copies of the
    columns compares each of them with the cached statement's, building a SQL expression
    per comparison (a tenth of a list request, issue 11); the same column objects in every
    request match at once. The SQL is the same."""
    customer, kind = Customer.__table__.c, CustomerType.__table__.c
    users = Model.metadata.tables["core_user"]
    return select(
        customer.id, customer.code, customer.name, customer.kind, customer.customer_type_id,
        kind.name.label("type_name"), customer.industry, customer.province, customer.city,
        customer.country, customer.source, customer.level, customer.status,
        customer.owner_id, users.c.display_name.label("owner_display_name"),
        users.c.username.label("owner_username"), customer.department_id, customer.address,
        customer.website, customer.uscc, customer.total_amount, customer.last_contact_at,
        customer.notes, customer.deleted_at, customer.created_at, customer.updated_at,
        customer.id_card_number, customer.bank_name, customer.bank_account,
    ).outerjoin(CustomerType.__table__, kind.id == customer.customer_type_id).outerjoin(
        users, users.c.id == customer.owner_id)


def list_customer_rows(session: Session, *, user: Any, filters: Mapping[str, Any] | None
                       = None, sort: str = "updated", descending: bool = True,
                       limit: int = 50, cursor: str | None = None) -> Page:
    """``list_customers``'s page (same scope, filters, order and cursors) as plain rows:
    one statement, no ORM objects. The unfiltered list, what most requests ask for, runs a
    statement built once (``_unfiltered``)."""
    if not filters and sort in SORTS and isinstance(limit, int) and 1 <= limit <= MAX_LIMIT \
            and user is not None and not isinstance(user, int):
        bound = decode_cursor(cursor, 2) if cursor else None
        kinds = tuple(type(value) for value in bound) if bound is not None else None
        if kinds is None or all(kind in _BINDABLE for kind in kinds):
            condition, values = bound_scope_condition(Customer, user)
            statement = _unfiltered(condition, sort, descending, kinds)
            if bound is not None:
                values.update({"crm_after_0": bound[0], "crm_after_1": bound[1]})
            if session.autoflush:  # as a query through the session would
                session.flush()
            rows = session.connection().execute(statement, {**values, "crm_limit": limit + 1})
            return page_of(rows.all(), _WIDTH, 2, limit, bound is not None)
    if sort.startswith(custom_fields.PREFIX):  # custom.<key>: through the field's index
        # no session: the plan is the field's index, not steered for the list's own order
        statement = list_statement(_page_select(), user=user, filters=filters)
        return sorted_customers(session, user, statement, sort, descending=descending,
                                limit=limit, cursor=cursor)
    statement = list_statement(_page_select(), user=user, filters=filters, sort=sort,
                               session=session)
    return paginate(session, statement, sort=SORTS[sort], id_column=Customer.id,
                    descending=descending, limit=limit, cursor=cursor)


#: What a cursor's values may be for ``_unfiltered``, each with a sample whose SQL type is
#: how ``paginate`` binds such a value (others, from forged cursors, take its way).
_BINDABLE = {dt.datetime: dt.datetime(2000, 1, 1), dt.date: dt.date(2000, 1, 1), int: 0,
             str: ""}
_WIDTH = 29  # the items of ``_page_select``


@cache
def _unfiltered(scope: Any, sort: str, descending: bool,
                kinds: tuple[type, ...] | None) -> Any:
    """The statement ``paginate`` runs for an unfiltered page of ``list_statement`` (the
    same scope, order, keys and bounds), built once per scope condition (``scope``: the
    kernel's, with its values as parameters), order and kind of cursor values: its values,
    the cursor's and the limit are parameters. Reused, its SQL cache key is computed once,
    and nothing is built per request."""
    statement = _page_select()
    if scope is not None:
        statement = statement.where(scope)
    statement = statement.where(Customer.deleted_at.is_(None))
    keys = [SORTS[sort], Customer.id]
    labelled = [key.label(f"_crm_key_{index}") for index, key in enumerate(keys)]
    query = statement
    if kinds is not None:
        # bound as paginate binds the decoded values: each by its Python type
        row = tuple_(*keys)
        at = tuple_(*(bindparam(f"crm_after_{index}", type_=literal(_BINDABLE[kind]).type)
                      for index, kind in enumerate(kinds)))
        earlier = statement.where(row >= at if descending else row <= at).exists()
        query = statement.where(row < at if descending else row > at)
        labelled.append(earlier.label("_crm_earlier"))
    order = [key.desc() if descending else key.asc() for key in keys]
    return query.add_columns(*labelled).order_by(*order).limit(
        bindparam("crm_limit", type_=Integer))


def _ids_in_json(column_: Any) -> Any:
    """SQLite: ``column_`` is one of the ids given as one JSON array ``:ids``."""
    return column_.in_(select(literal_column("value"))
                       .select_from(func.json_each(bindparam("ids"))).scalar_subquery())


def _ids_in_array(column_: Any) -> Any:
    """PostgreSQL: ``column_`` is one of the ids given as one array ``:ids``."""
    return column_ == any_(bindparam("ids", type_=ARRAY(Integer)))


def _children_statement(wanted: Callable[[Any], Any]) -> Any:
    """Phones, emails and tags of the customers ``:ids``, as (part, customer, position, text,
    tag id, colour). ``wanted(column)``: the condition that the column is one of ``:ids``."""
    phone, email = CustomerPhone.__table__.c, CustomerEmail.__table__.c
    link, tag = CustomerTag.__table__.c, Tag.__table__.c
    return union_all(
        select(literal_column(str(PHONE)).label("part"), phone.customer_id,
               phone.position.label("position"), phone.number.label("text"),
               # typed: PostgreSQL would take two untyped NULLs for text
               cast(null(), Integer).label("tag_id"), cast(null(), String).label("colour"))
        .where(wanted(phone.customer_id)),
        select(literal_column(str(EMAIL)), email.customer_id, email.position, email.email,
               cast(null(), Integer), cast(null(), String))
        .where(wanted(email.customer_id)),
        select(literal_column(str(TAG)), link.customer_id, literal_column("0"), tag.name,
               tag.id, tag.colour)
        .join_from(CustomerTag.__table__, Tag.__table__, tag.id == link.tag_id)
        .where(wanted(link.customer_id)),
    )


_ORDER = ("part", "position", "text", "tag_id")  # phones, emails by position; tags by name
_CHILD_ORDER = operator.itemgetter(0, 2, 3, 4)


_CHILDREN_SQL: dict[tuple[str, str], str] = {}  # by database and driver


def _children_sql(dialect: Any) -> str:
    """The children statement's SQL for this database, compiled once and run through the
    driver with the page's ids as one parameter: an expanding ``IN`` rendered a parameter per
    id into new SQL for every page, and executing a Core statement computes its cache key
    each time (issue 11, throughput). SQLite's rows are sorted by ``page_children``: its
    three temporary sort trees took half of the statement (~0.2 ms of a list request); its
    BINARY collation is Python's order of str."""
    key = (dialect.name, dialect.driver)
    sql = _CHILDREN_SQL.get(key)
    if sql is None:
        statement = _children_statement(_ids_in_json) if dialect.name == "sqlite" else \
            _children_statement(_ids_in_array).order_by(*_ORDER)
        sql = _CHILDREN_SQL[key] = str(statement.compile(dialect=dialect))
    return sql


def page_children(session: Session, ids: Sequence[int]
                  ) -> tuple[dict[int, list[str]], dict[int, list[str]], dict[int, list[Any]]]:
    """The phones, emails (each in their order) and tags (by name) of these customers, in
    one statement: ``({id: [phone]}, {id: [email]}, {id: [{"id", "name", "colour"}]})``."""
    phones: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    tags: dict[int, list[Any]] = {}
    if not ids:
        return phones, emails, tags
    connection = session.connection()
    sql = _children_sql(connection.dialect)
    if connection.dialect.name == "sqlite":
        wanted = json.dumps(list(ids))
        rows = connection.exec_driver_sql(sql, (wanted, wanted, wanted)).all()
        rows.sort(key=_CHILD_ORDER)
    else:
        rows = connection.exec_driver_sql(sql, {"ids": list(ids)}).all()
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
        "id_card_number": id_card_number, "bank_name": bank_name, "bank_account": bank_account,
    } for (id_, code, name, kind, type_id, type_name, industry, province, city, country,
           source, level, status, owner_id, owner_display, owner_username, department_id,
           address, website, uscc, total_amount, last_contact_at, notes, deleted_at,
           created_at, updated_at, id_card_number, bank_name, bank_account) in rows]
