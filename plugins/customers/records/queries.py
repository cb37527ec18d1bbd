"""Reading customers: one customer through the data scope, the filtered list by keyset, and
the list's filters, checked.

Every filter value is checked before it reaches a query (``check_filter``): ids within
1..``INT32_MAX``, amounts that fit the BIGINT column, real dates, texts no longer than their
column. A bad value raises ``FieldError`` naming the filter, on every path that filters (the
list page, the API, bulk actions, segments, search), never a database error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, String, and_, case, exists, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.sql.functions import FunctionElement

from crm_core.toolkit import INT32_MAX, DomainError, Page, paginate, scoped

from ..models import Customer, CustomerStat, CustomerTag
from ..validation import FieldError
from .custom import check_custom_filters, custom_conditions
from .fields import checked_id, to_minor_units

__all__ = ["AMOUNT_FILTERS", "DATE_FILTERS", "FILTER_KEYS", "ID_FILTERS", "SORTS",
           "TEXT_FILTERS", "CustomerNotFound", "check_filter", "check_filters",
           "filter_conditions", "get_customer", "list_customers", "list_statement",
           "load_customer", "without_contacts"]

#: The orders ``list_customers(sort=...)`` knows, each with the column it sorts by.
SORTS = {"name": Customer.name, "created": Customer.created_at,
         "updated": Customer.updated_at, "amount": Customer.total_amount}
ID_FILTERS = ("customer_type_id", "owner_id", "tag_id", "import_id")
TEXT_FILTERS = {"industry": 100, "province": 50, "city": 50, "kind": 16, "level": 20,
                "status": 20}
AMOUNT_FILTERS = ("amount_min", "amount_max")
DATE_FILTERS = ("created_from", "created_to", "last_contact_from", "last_contact_to")
# "custom": ``{"custom.<key>": text}``, the custom fields' filters (records/custom.py)
FILTER_KEYS = ID_FILTERS + tuple(TEXT_FILTERS) + AMOUNT_FILTERS + DATE_FILTERS + ("custom",)


class CustomerNotFound(DomainError):
    """No such customer, or not one the user may see (views answer 404)."""

    status = 404


# ---------------------------------------------------------------------------- one customer


def get_customer(session: Session, customer_id: int, *, user: Any = None,
                 include_trash: bool = False) -> Customer:
    """The customer if ``user`` may see it (None: the signed-in user), else CustomerNotFound.

    A customer in the trash counts as missing unless ``include_trash``.
    """
    if not isinstance(customer_id, int) or not 1 <= customer_id <= INT32_MAX:
        raise CustomerNotFound(_("There is no such customer, or you may not see it."))
    query = scoped(select(Customer), Customer, user).where(Customer.id == customer_id)
    if not include_trash:
        query = query.where(Customer.deleted_at.is_(None))
    customer = session.scalar(query)
    if customer is None:
        raise CustomerNotFound(_("There is no such customer, or you may not see it."))
    return customer


def load_customer(session: Session, customer_id: int, user: Any,
                  include_trash: bool = False) -> Customer:
    """The customer, through the scope when a user is given (None: a trusted caller)."""
    if user is not None:
        return get_customer(session, customer_id, user=user, include_trash=include_trash)
    customer = session.get(Customer, customer_id) \
        if isinstance(customer_id, int) and 1 <= customer_id <= INT32_MAX else None
    if customer is None or (customer.deleted_at is not None and not include_trash):
        raise CustomerNotFound(_("There is no such customer, or you may not see it."))
    return customer


# ---------------------------------------------------------------------------- filters


def _as_date(value: Any, field: str) -> dt.date:
    """A filter's date: a ``date`` or ISO text (``"2026-11-27"``, as saved segments hold it)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise FieldError(field, _("\"%(value)s\" is not a date (YYYY-MM-DD).", value=text[:20]))


def check_filter(key: str, value: Any) -> Any:
    """``value`` of filter ``key`` checked and in the form the query takes (an int id, a
    stripped text, a ``Decimal`` amount, a ``date``); None when the filter is not set.
    Raises DomainError for an unknown key and FieldError naming the key for a bad value."""
    if value is None or value == "":
        return None
    if key in ID_FILTERS:
        message = _("Not a valid choice.")
        if isinstance(value, str):
            text = value.strip()
            value = int(text) if text.isdigit() and len(text) <= 10 else 0
        return checked_id(key, value, message)
    if key in TEXT_FILTERS:
        text = str(value).strip()
        if len(text) > TEXT_FILTERS[key]:
            raise FieldError(key, _("At most %(max)d characters.", max=TEXT_FILTERS[key]))
        return text or None
    if key in AMOUNT_FILTERS:
        if isinstance(value, float):
            value = str(value)
        minor = to_minor_units(value, key)
        if minor < 0:
            raise FieldError(key, _("An amount to filter by is 0 or more."))
        return Decimal(minor).scaleb(-2)
    if key in DATE_FILTERS:
        return _as_date(value, key)
    if key == "custom":
        return check_custom_filters(value)
    raise DomainError(_("Unknown filter: %(name)s.", name=key))


def check_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Every filter checked (``check_filter``), unset ones left out; raises on the first bad
    one."""
    checked = {key: check_filter(key, value) for key, value in filters.items()}
    return {key: value for key, value in checked.items() if value is not None}


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _before_day_after(column: Any, day: dt.date) -> ColumnElement[bool] | None:
    """``column`` on or before ``day`` (None for the last day there is: no bound)."""
    if day >= dt.date.max:
        return None
    return column < _day_start(day + dt.timedelta(days=1))


def filter_conditions(filters: Mapping[str, Any], *,
                      walk_order: bool = False) -> list[ColumnElement[bool]]:
    """The WHERE conditions of ``list_customers``'s ``filters`` (without ``trash``); search
    and bulk actions reuse them. Every value is checked first (``check_filter``).
    ``walk_order``: for one page in the list's order (``list_statement`` with a session)."""
    conditions: list[ColumnElement[bool] | None] = []
    equal = {"customer_type_id": Customer.customer_type_id, "industry": Customer.industry,
             "province": Customer.province, "city": Customer.city, "kind": Customer.kind,
             "level": Customer.level, "status": Customer.status, "owner_id": Customer.owner_id,
             "import_id": Customer.import_id}
    for key, value in check_filters(filters).items():
        if key in equal:
            conditions.append(equal[key] == value)
        elif key == "tag_id":
            conditions.append(exists().where(and_(CustomerTag.customer_id == Customer.id,
                                                  CustomerTag.tag_id == value)))
        elif key == "amount_min":
            conditions.append(Customer.total_amount >= to_minor_units(value, key))
        elif key == "amount_max":
            conditions.append(Customer.total_amount <= to_minor_units(value, key))
        elif key == "created_from":
            conditions.append(Customer.created_at >= _day_start(value))
        elif key == "created_to":
            conditions.append(_before_day_after(Customer.created_at, value))
        elif key == "last_contact_from":
            conditions.append(Customer.last_contact_at >= _day_start(value))
        elif key == "last_contact_to":
            conditions.append(_before_day_after(Customer.last_contact_at, value))
        elif key == "custom":
            conditions.extend(custom_conditions(value, walk_order=walk_order))
    return [condition for condition in conditions if condition is not None]


# ---------------------------------------------------------------------------- the list


def list_customers(session: Session, *, user: Any = None, filters: Mapping[str, Any] | None
                   = None, sort: str = "updated", descending: bool = True, limit: int = 50,
                   cursor: str | None = None, before: str | None = None,
                   contacts: bool = True) -> Page:
    """One page of the customers ``user`` may see, by keyset on ``(sort, id)``: after
    ``cursor`` (a page's ``next_cursor``) or before ``before`` (its ``prev_cursor``).

    ``sort`` is one of ``SORTS`` (name, created, updated, amount). ``filters`` may hold:
    customer_type_id, industry, province, city, kind, level, status, owner_id, tag_id,
    import_id (the customers an import created; it only narrows the user's scoped list),
    amount_min / amount_max (major units, inclusive), created_from / created_to and
    last_contact_from / last_contact_to (dates, inclusive), and trash=True for the trash only.
    ``contacts=False``: the customers' phones and emails are not read with the page (a page
    that shows neither; they load one customer at a time if asked for).
    """
    query = list_statement(select(Customer) if contacts else without_contacts(),
                           user=user, filters=filters, sort=sort, session=session)
    return paginate(session, query, sort=SORTS[sort], descending=descending, limit=limit,
                    cursor=cursor, before=before)


def without_contacts() -> Select[Any]:
    """A select of customers that leaves their phones and emails to be loaded when used
    (the model reads them with every customer, two statements a page)."""
    return select(Customer).options(lazyload(Customer.phone_rows),
                                    lazyload(Customer.email_rows))


def list_statement(statement: Select[Any], *, user: Any = None,
                   filters: Mapping[str, Any] | None = None, sort: str = "updated",
                   session: Session | None = None) -> Select[Any]:
    """``statement`` (a select from the customers) limited to ``user``'s scope, the trash or
    not, and ``filters``, as ``list_customers`` reads it; raises FieldError for an unknown
    ``sort`` or a bad filter. With ``session``, the plan may be steered (``_rare_industry``)."""
    if sort not in SORTS:
        raise FieldError("sort", _("Sort by one of: %(names)s.", names=", ".join(SORTS)))
    query = scoped(statement, Customer, user)
    filters = dict(filters or {})
    query = query.where(Customer.deleted_at.is_not(None) if filters.pop("trash", False)
                        else Customer.deleted_at.is_(None))
    if session is not None and filters.get("industry") and not filters.get("province") \
            and session.get_bind().dialect.name == "sqlite":
        industry = check_filter("industry", filters.pop("industry"))
        if industry is not None:
            column = Customer.industry if _rare_industry(session, industry) \
                else not_for_lookup(Customer.industry)
            query = query.where(column == industry)
    for condition in filter_conditions(filters, walk_order=session is not None):
        query = query.where(condition)
    return query


def _rare_industry(session: Session, industry: str) -> bool:
    """Whether fewer than 1 % of the customers are in ``industry`` (by the widgets' counts).

    SQLite knows only the average industry: it reads a common one (one customer in 8-50)
    through its index and sorts it all (110 ms at a million), where walking the index of the
    list's order to the page's 51st match reads a few thousand entries (2-6 ms). A rare one
    is better read through its index and sorted (the walk would pass most customers). With
    a province, the ``(industry, province, total_amount, id)`` index serves instead."""
    mine, every = session.execute(select(
        func.sum(case((CustomerStat.bucket == industry, CustomerStat.count), else_=0)),
        func.sum(CustomerStat.count)).where(CustomerStat.dimension == "industry")).one()
    return not every or (mine or 0) * 100 < every


class not_for_lookup(FunctionElement):
    """A column SQLite must not look rows up by (``+column``): it then walks the index of
    the list's order instead. Other databases plan from real statistics: the column as is."""

    inherit_cache = True
    name = "not_for_lookup"
    type = String()


@compiles(not_for_lookup)
def _as_is(element: not_for_lookup, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(not_for_lookup, "sqlite")
def _unary_plus(element: not_for_lookup, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)
