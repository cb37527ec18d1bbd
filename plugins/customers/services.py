"""The customers plugin's public services: what other plugins may call (``__all__``).

Services take a session and plain arguments, flush (the caller commits) and raise
``DomainError`` (``FieldError`` naming the field) with a message the user understands. Every
read a user asks for goes through ``scoped(...)``; customers in the trash are left out unless
asked for. Events (``customer_created``, ...) are called after the flush, inside the unit of
work.

The rules live in the feature packages and are re-exported here: a customer's fields, reads
and writes (``records``), contacts and contact records (``contacts``), search, duplicates and
merging, segments. No module of this plugin imports this one: it is the door for others.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from .contacts.matching import CustomerMatch, match_or_create_customer
from .contacts.services import (
    CONTACT_FIELDS,
    RECORD_FIELDS,
    NotYourRecord,
    add_contact,
    add_contact_record,
    delete_contact,
    delete_contact_record,
    may_change_record,
    update_contact,
    update_contact_record,
)
from .duplicates.merge import merge_customers
from .duplicates.services import find_likely_duplicates
from .models import Customer, CustomerType
from .profile.timeline import timeline_entries
from .records.fields import CUSTOMER_FIELDS, to_minor_units
from .records.flags import clear_flag, open_flags, raise_flag
from .records.queries import (
    SORTS,
    CustomerNotFound,
    filter_conditions,
    get_customer,
    list_customers,
)
from .records.services import (
    add_tag,
    adjust_total_amount,
    create_customer,
    create_customer_type,
    create_tag,
    delete_customer,
    remove_tag,
    restore_customer,
    update_customer,
)
from .search.services import search_customers
from .segments.services import get_segment, list_segments, segment_filters

__all__ = [
    "CONTACT_FIELDS",
    "CUSTOMER_FIELDS",
    "CUSTOMER_TABLE",
    "CUSTOMER_ID",
    "CONTACT_TABLE",
    "CONTACT_ID",
    "CustomerMatch",
    "CustomerNotFound",
    "NotYourRecord",
    "RECORD_FIELDS",
    "SORTS",
    "add_contact",
    "add_contact_record",
    "add_tag",
    "add_to_total_amounts",
    "adjust_total_amount",
    "clear_flag",
    "create_customer",
    "create_customer_type",
    "create_tag",
    "delete_contact",
    "delete_contact_record",
    "delete_customer",
    "filter_conditions",
    "find_likely_duplicates",
    "get_customer",
    "get_segment",
    "list_customer_types",
    "list_customers",
    "list_segments",
    "match_or_create_customer",
    "may_change_record",
    "merge_customers",
    "open_flags",
    "raise_flag",
    "remove_tag",
    "restore_customer",
    "search_customers",
    "segment_filters",
    "to_minor_units",
    "update_contact",
    "update_contact_record",
    "timeline_entries",
    "update_customer",
]

# Tables other plugins may point a foreign key at (docs/plugins.md, "Foreign keys to another
# plugin's tables"); the names never change without a major version.
CUSTOMER_TABLE = "customers_customer"
"""The customers table, for another plugin's migrations and ``ForeignKey``s."""
CUSTOMER_ID = "customers_customer.id"
"""``ForeignKey(CUSTOMER_ID, ondelete="CASCADE" | "SET NULL")``: a customer's key column.
The trash keeps the row; a customer is deleted for good only after ``customer_purged``."""
CONTACT_TABLE = "customers_contact"
"""The contacts table (a customer's people)."""
CONTACT_ID = "customers_contact.id"
"""A contact's key column, for ``ForeignKey(CONTACT_ID, ondelete="SET NULL")``."""



TYPES_MAX = 500
"""At most this many customer types are listed (an administrator defines a handful)."""


def list_customer_types(session: Session) -> list[tuple[int, str]]:
    """``(id, name)`` of the customer types, in the order an administrator set (then by
    name): for another plugin's selects and labels, e.g. the price list a type gets.
    Every signed-in user may know the types; at most ``TYPES_MAX``."""
    return [(row.id, row.name) for row in session.execute(
        select(CustomerType.id, CustomerType.name)
        .order_by(CustomerType.position, CustomerType.name).limit(TYPES_MAX))]


def add_to_total_amounts(session: Session, amounts: Mapping[int, int]) -> int:
    """Add ``{customer id: amount in minor units (fen)}`` to the customers' total
    transaction amounts in one statement run for all (a bulk load: demo data, a benchmark's
    million orders). Unlike ``adjust_total_amount`` it emits no ``customer_updated`` and the
    operation log does not see it; ids of no customer are skipped, customers already loaded
    in ``session`` are not refreshed. Returns how many customers it changed; the caller
    commits."""
    rows = [{"customer": int(key), "delta": int(value)} for key, value in amounts.items()
            if value]
    if not rows:
        return 0
    table = Customer.__table__
    statement = (update(table).where(table.c.id == bindparam("customer"))
                 .values(total_amount=table.c.total_amount + bindparam("delta")))
    result = session.connection().execute(statement, rows)
    return max(result.rowcount, 0)
