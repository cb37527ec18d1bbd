"""The sync log: per connection and object, what was pushed and pulled, what the ERP refused
and the last error; and the replay of a refused record (its "dead letter") after it was
put right in the CRM or the ERP.

Counts come from the mapping rows (records the ERP has, records it refused) and the pull
state rows: no extra table to keep in step. Messages the outbox gave up on (tries spent)
are replayed from System → Outbox, which the page links to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, record_event, system_context

from ..models import ErpConnection, ErpExternalId, ErpSyncCursor
from .settings import OBJECTS

#: The mapping rows' object name of each synced object.
MAPPED = {"customers": "customer", "orders": "order", "products": "product"}


@dataclass(frozen=True)
class LogRow:
    """One object on one connection."""

    connection: str
    obj: str
    pushed: int
    pulled: int
    refused: int
    deleted_in_erp: int
    last_error: str
    last_run: Any
    running: bool
    held: bool = False
    stopped: bool = False


def sync_log(session: Session) -> list[LogRow]:
    """Every Odoo connection's objects, in the order of ``OBJECTS`` (one query per table)."""
    connections = list(session.scalars(select(ErpConnection).where(
        ErpConnection.kind == "odoo").order_by(ErpConnection.name)))
    mapped = {(row.connection_id, row.object): row for row in session.execute(
        select(ErpExternalId.connection_id, ErpExternalId.object,
               func.count(ErpExternalId.erp_id).label("synced"),
               func.count().filter(ErpExternalId.error != "").label("refused"),
               func.count(ErpExternalId.deleted_in_erp_at).label("deleted"))
        .group_by(ErpExternalId.connection_id, ErpExternalId.object))}
    states = {(row.connection_id, row.object): row for row in session.scalars(
        select(ErpSyncCursor))}
    rows = []
    for connection in connections:
        for obj in OBJECTS:
            counts = mapped.get((connection.id, MAPPED.get(obj, "")))
            state = states.get((connection.id, obj))
            rows.append(LogRow(
                connection.name, obj,
                pushed=int(counts.synced) if counts and obj in ("customers", "orders") else 0,
                pulled=state.pulled if state else 0,
                refused=int(counts.refused or 0) if counts else 0,
                deleted_in_erp=int(counts.deleted) if counts else 0,
                last_error=state.last_error if state else "",
                last_run=state.pulled_at if state else None,
                running=bool(state and state.running_since), held=bool(connection.held),
                stopped=connection.state == "stopped"))
    return rows


def refused_records(session: Session, limit: int = 50) -> list[tuple[str, ErpExternalId]]:
    """The records the ERP refused (its message kept), newest first: the dead letters."""
    return [(name, row) for row, name in session.execute(
        select(ErpExternalId, ErpConnection.name)
        .join(ErpConnection, ErpConnection.id == ErpExternalId.connection_id)
        .where(ErpExternalId.error != "")
        .order_by(ErpExternalId.id.desc()).limit(limit))]


def replay(session: Session, mapping_id: int) -> bool:
    """Queue the refused record again with its current values (the caller commits); False
    when there is no such refused record or it can no longer be read."""
    from .outbound import customer_changed, order_confirmed

    row = session.get(ErpExternalId, mapping_id)
    if row is None or not row.error:
        return False
    if row.object == "customer":
        queued = customer_changed(session, row.crm_id)
    elif row.object == "order":
        from plugins.sales import services as sales

        with system_context("ERP replay of an order"):
            try:
                order = sales.get_order(session, row.crm_id)
            except DomainError:  # gone or deleted: nothing to replay
                return False
        queued = order_confirmed(session, order.id, order.customer_id, again=True)
    else:
        return False
    if queued:
        row.error = ""
        record_event("erp_replay", f"{row.object} {row.crm_id}", model=ErpExternalId,
                     record_id=row.id, session=session)
    return bool(queued)
