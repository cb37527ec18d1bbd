"""The periodic reconciliation of id sets: which records the ERP no longer has.

Incremental pulls see changes, never deletions (a deleted record has no ``write_date``).
Once a day the ERP's full id set of each mapped object (archived records included) is read
and compared with the mapping table: a mapped record the ERP lacks is marked
``deleted_in_erp_at`` (shown on the sync log; a later push of a customer or an order makes
it again, found by its reference first); one that is back is unmarked. It runs under the
same guard as pulls and pushes of the object.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import ScheduleEntry, TaskSpec, db, utcnow

from ..connections.services import adapter_for, all_connections, stop_connection
from ..models import ErpConnection, ErpExternalId
from ..odoo import AuthError, OdooError, PermissionError
from .initial import AlreadyRunning, guard

#: The objects whose id sets are compared, and their mapping rows' object name.
RECONCILED = {"customers": "customer", "products": "product", "orders": "order"}
RECONCILE_EVERY_SECONDS = 24 * 3600


@dataclass
class ReconcileResult:
    """Records found gone, records back, and the error that ended it (if any)."""

    gone: int = 0
    back: int = 0
    error: str = ""


def reconcile(session: Session, connection: ErpConnection, obj: str) -> ReconcileResult:
    """Compare ``obj``'s mapped ERP ids on ``connection`` with the ERP's id set."""
    result = ReconcileResult()
    try:
        with guard(session, connection, obj):
            try:
                with adapter_for(connection) as erp:
                    present = erp.all_ids(obj)
            except (AuthError, PermissionError) as refused:
                stop_connection(session, connection, refused.message)
                result.error = refused.message
                return result
            except OdooError as failed:
                result.error = failed.message
                return result
            rows = session.scalars(select(ErpExternalId).where(
                ErpExternalId.connection_id == connection.id,
                ErpExternalId.object == RECONCILED[obj], ErpExternalId.erp_id.is_not(None)))
            now = utcnow()
            for row in rows:
                if row.erp_id not in present and row.deleted_in_erp_at is None:
                    row.deleted_in_erp_at, result.gone = now, result.gone + 1
                elif row.erp_id in present and row.deleted_in_erp_at is not None:
                    row.deleted_in_erp_at, result.back = None, result.back + 1
            session.commit()
    except AlreadyRunning as busy:
        result.error = str(busy)
    return result


def reconcile_task() -> str:
    """The daily run over every active Odoo connection."""
    gone = 0
    for connection in all_connections(db.session):
        for obj in RECONCILED:
            if connection.kind == "odoo" and connection.state == "active" \
                    and not connection.held:
                gone += reconcile(db.session, connection, obj).gone
    return f"ERP reconciliation: {gone} records gone from the ERP"


def celery_tasks() -> list[TaskSpec]:
    """``erp_bridge.reconcile``."""
    return [TaskSpec("reconcile", reconcile_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Once a day: reading every id is cheap next to the pulls, but not every five minutes."""
    return [ScheduleEntry("reconcile", "reconcile", seconds=RECONCILE_EVERY_SECONDS)]
