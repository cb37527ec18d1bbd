"""Which department a customer belongs to: the one place that decides it.

A customer's department always follows its owner (the owner's department), so the data scope
of "my department" means "customers owned by people of my department" on every path: form,
bulk, API, import and merge. The customers services call ``department_of_owner`` whenever an
owner is set; the import's batch writer calls it too.
"""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from crm_core.toolkit import INT32_MAX

from ..models import Customer

__all__ = ["department_of_owner", "user_table"]


def user_table() -> Table:
    """The kernel's user table, found through the customer's owner foreign key (a plugin
    reaches kernel tables through its own schema, never by importing kernel models)."""
    (foreign_key,) = Customer.__table__.c.owner_id.foreign_keys
    return foreign_key.column.table


def department_of_owner(session: Session, owner_id: int | None) -> int | None:
    """The department a customer owned by ``owner_id`` belongs to: the owner's department.

    None when there is no owner, when the owner has no department or when no such user
    exists (callers check that the owner exists before they set it).
    """
    if owner_id is None or not 1 <= owner_id <= INT32_MAX:
        return None
    users = user_table()
    return session.scalar(select(users.c.department_id).where(users.c.id == owner_id))
