"""The external id mapping: which ERP record a CRM record is, per connection and object.

A mapping row exists before the first create is tried; its ``ref`` (``crm-<object>-<id>``)
is written on the ERP record and searched before any create, so a create whose answer was
lost, and that the outbox tries again, finds the record instead of making a second one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.toolkit import utcnow

from ..models import ErpConnection, ErpExternalId

OBJECTS = ("customer", "order", "product")


def reference(obj: str, crm_id: int) -> str:
    """The external reference of a CRM record on the ERP side (Odoo's ``ref``)."""
    return f"crm-{obj}-{crm_id}"


def mapping_for(session: Session, connection: ErpConnection, obj: str,
                crm_id: int) -> ErpExternalId:
    """The mapping row of a CRM record, created (committed) when it is the first push."""
    found = find_mapping(session, connection.id, obj, crm_id)
    if found is not None:
        return found
    row = ErpExternalId(connection_id=connection.id, object=obj, crm_id=crm_id,
                        ref=reference(obj, crm_id), error="")
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another worker made it meanwhile
        return find_mapping(session, connection.id, obj, crm_id)  # type: ignore[return-value]
    session.commit()
    return row


def note_queued(session: Session, connection: ErpConnection, obj: str, crm_id: int) -> None:
    """Make the record's mapping row (no ERP id yet) in the caller's unit of work, so its
    page shows "waiting to be sent" from the moment its push is queued; no commit."""
    if find_mapping(session, connection.id, obj, crm_id) is not None:
        return
    try:
        with session.begin_nested():
            session.add(ErpExternalId(connection_id=connection.id, object=obj, crm_id=crm_id,
                                      ref=reference(obj, crm_id), error=""))
    except IntegrityError:  # another worker made it meanwhile
        pass


def find_mapping(session: Session, connection_id: int, obj: str,
                 crm_id: int) -> ErpExternalId | None:
    """The mapping row of a CRM record, or None before its first push."""
    return session.scalar(select(ErpExternalId).where(
        ErpExternalId.connection_id == connection_id, ErpExternalId.object == obj,
        ErpExternalId.crm_id == crm_id))


def mark_synced(mapping: ErpExternalId, erp_id: int) -> None:
    """The ERP has the record as ``erp_id``."""
    mapping.erp_id, mapping.error, mapping.synced_at = erp_id, "", utcnow()


def mark_refused(mapping: ErpExternalId, message: str) -> None:
    """The ERP refused the record's values: keep its message for the record's page."""
    mapping.error = message[:500]
