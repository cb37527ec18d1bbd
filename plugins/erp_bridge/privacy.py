"""Personal data requests (PIPL) for the ERP bridge.

The bridge stores no personal data of its own: only which ERP record each CRM record is
(``erp_bridge_external_id``: ids, a reference such as ``crm-customer-12``, numbers and
states). What it pushed lives on in the ERP, which this CRM does not erase: the export lists
the links, and an erasure tells the operator which ERP records to anonymise there.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ErpConnection, ErpExternalId


def _links(session: Session, person: Any) -> list[dict[str, Any]]:
    customers = person.ids("customers.person")
    if not customers:
        return []
    rows = session.execute(
        select(ErpExternalId.object, ErpExternalId.crm_id, ErpExternalId.erp_id,
               ErpExternalId.ref, ErpExternalId.synced_at, ErpConnection.name.label("connection"))
        .join(ErpConnection, ErpConnection.id == ErpExternalId.connection_id)
        .where(ErpExternalId.object == "customer", ErpExternalId.crm_id.in_(customers))
        .order_by(ErpExternalId.id)).mappings()
    return [dict(row) for row in rows]


def export(person: Any, session: Session) -> dict[str, list[dict[str, Any]]]:
    """The ERP records the person's customer records were copied to."""
    return {"erp_records": _links(session, person)}


def erase(person: Any, erasure: Any, session: Session) -> dict[str, int]:
    """Nothing to erase here; name the ERP copies the operator must anonymise there."""
    for link in _links(session, person):
        erasure.note(gettext("ERP connection %(connection)s holds customer %(customer)s as "
                             "ERP record %(record)s: anonymise it in the ERP.",
                             connection=link["connection"], customer=link["crm_id"],
                             record=link["erp_id"] or link["ref"]))
    return {}
