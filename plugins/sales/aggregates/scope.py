"""The data scope of aggregate rows: a rep reads their own rows, a manager their
department's (and below), an administrator all, exactly as they see the records.

The aggregate tables carry the owner and department of the records they sum but are not
scoped models themselves (no kind of their own in the role editor); ``scoped_totals``
applies the scope of the record kind they sum (``sales.opportunity`` for won and lost,
``sales.order`` for orders...) through the kernel's ``scoped``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import null

from crm_core.toolkit import DataScope, scoped


@cache
def _stand_in(table: type, kind: str) -> type:
    """A class the kernel's ``scoped`` reads like a scoped model: the kind, and the
    aggregate's owner and department columns."""
    owner = getattr(table, "owner_id", None)  # a table without one: its department only
    return type(f"{table.__name__}As{kind.title().replace('.', '')}", (),
                {"__data_scope__": DataScope(kind=kind),
                 "owner_id": owner if owner is not None else null(),
                 "department_id": table.department_id})


def scoped_totals(statement: Any, table: type, kind: str, user: Any) -> Any:
    """``statement`` over the aggregate ``table`` limited to the rows whose records (of
    ``kind``) ``user`` may see."""
    return scoped(statement, _stand_in(table, kind), user)
