"""``ReceivableTotal`` kept as instalments, payments and contracts change: what is still owed
per due date and the contract's owner and department.

What an instalment owes depends on the instalment (due date, amount, received amount,
status) and on its contract (status, deleted or not, owner, department), and every path
changes one or the other: the plan editor, payments and their refresh of the plan, approval,
expiry, termination, deletion and restore, reassigning, the purge of the trash. So, like
``ForecastTotal``, it is kept by one ORM hook rather than by events: before a flush the
contracts it touches are noted and what they owed is read from the database; after the flush
it is read again and the difference is added, in the same transaction. The numbers are
therefore exactly what ``rebuild_rows`` computes, whatever changed. Writes that bypass the
ORM (the demo's bulk load) end with ``rebuild``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from crm_core.toolkit import FlushTotals, bump_total

from ..models import Contract, Instalment, ReceivableTotal

#: Contracts whose plan is being collected: their unpaid instalments are receivables.
COLLECTING = ("active", "expired", "terminated")
UNPAID = ("open", "partial")
#: The contract fields that decide whether, and under whom, its instalments count.
CONTRACT_FIELDS = ("status", "deleted_at", "owner_id", "department_id")
_CHUNK = 500

Key = tuple[Any, Any, Any]


def receivable_clauses() -> tuple[Any, ...]:
    """The WHERE clauses of an unpaid instalment of a collecting contract (the statement
    joins ``Contract`` to ``Instalment``)."""
    return (Instalment.status.in_(UNPAID), Contract.deleted_at.is_(None),
            Contract.status.in_(COLLECTING))


def rebuild_rows(contract_ids: Iterable[int] | None = None) -> Any:
    """The rows ``ReceivableTotal`` must hold (due date, owner, department, count, amount):
    of every contract, or only of ``contract_ids``."""
    owed = func.sum(Instalment.amount - Instalment.received_amount)
    query = (select(Instalment.due_date, Contract.owner_id, Contract.department_id,
                    func.count(), owed)
             .join(Contract, Contract.id == Instalment.contract_id)
             .where(*receivable_clauses())
             .group_by(Instalment.due_date, Contract.owner_id, Contract.department_id))
    if contract_ids is not None:
        query = query.where(Instalment.contract_id.in_(sorted(contract_ids)))
    return query


def _owed(session: Session, contract_ids: set[int]) -> dict[Key, list[int]]:
    owed: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    ordered = sorted(contract_ids)
    for start in range(0, len(ordered), _CHUNK):
        for due, owner, department, count, amount in session.execute(
                rebuild_rows(ordered[start:start + _CHUNK])):
            owed[(due, owner, department)][0] += int(count or 0)
            owed[(due, owner, department)][1] += int(amount or 0)
    return owed


def _contract_changed(contract: Contract) -> bool:
    state = inspect(contract)
    return any(state.attrs[name].history.has_changes() for name in CONTRACT_FIELDS)


def _touched(session: Session) -> tuple[set[int], list[Contract]]:
    """The ids of the stored contracts this flush may change the receivables of, and the
    new contracts (no id yet: they owed nothing before)."""
    ids: set[int] = set()
    new_contracts = []
    for item in chain(session.new, session.dirty, session.deleted):
        if isinstance(item, Instalment):
            if item.contract_id is not None:
                ids.add(item.contract_id)
            previous = inspect(item).attrs.contract_id.history.deleted
            ids.update(value for value in previous if value is not None)
        elif isinstance(item, Contract):
            if item in session.new:
                new_contracts.append(item)
            elif item in session.deleted or _contract_changed(item):
                ids.add(item.id)
    return ids, new_contracts


def _write(connection: Any, key: Key, deltas: list[int]) -> None:
    due, owner, department = key
    bump_total(connection, ReceivableTotal.__table__,
               {"due_date": due, "owner_id": owner, "department_id": department},
               dict(zip(("count", "amount"), deltas, strict=True)))


KEEPER = FlushTotals("sales.receivables", touched=_touched, added=_owed, write=_write)
install = KEEPER.install


install()  # a part: imported when the app gathers its offers, never at plugin discovery
