"""The data scope of aggregate rows: an agent reads the rows of the tickets they may see,
as they see the tickets (the ticket scope: own = assigned to them, department = their
department and below, all).

The aggregate tables carry the department and assignee of the tickets they sum but are not
scoped models themselves (no kind of their own in the role editor); ``scoped_totals``
applies the ``service.ticket`` scope through the kernel's ``scoped``, as sales does.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from crm_core.toolkit import DataScope, scoped

KIND = "service.ticket"


@cache
def _stand_in(table: type) -> type:
    """A class the kernel's ``scoped`` reads like the ticket model: the kind, and the
    aggregate's assignee (a survey's: its agent) and department columns."""
    owner = getattr(table, "assignee_id", None)
    if owner is None:
        owner = table.agent_id
    return type(f"{table.__name__}AsTicket", (),
                {"__data_scope__": DataScope(kind=KIND, owner="assignee_id",
                                             department="department_id"),
                 "assignee_id": owner, "department_id": table.department_id})


def scoped_totals(statement: Any, table: type, user: Any) -> Any:
    """``statement`` over the aggregate ``table`` limited to the rows of the tickets
    ``user`` may see."""
    return scoped(statement, _stand_in(table), user)
