"""The order page's "ERP" panel (sales' hook ``crm_sales_order_panels``): per Odoo
connection, the order's ERP number, its sync state, the invoice payment state the last pull
brought, the ERP's last refusal, and (for those who manage connections) the way to the sync
log. One indexed query on the mapping table; nothing when no connection knows the order.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ErpConnection, ErpExternalId
from ..permissions import CONNECTION_MANAGE

STATE_LABELS = {"synced": _l("In the ERP"), "waiting": _l("Waiting to be sent"),
                "refused": _l("Refused by the ERP"), "deleted": _l("Deleted in the ERP"),
                "held": _l("Held: the connection is paused"),
                "stopped": _l("Waiting: the connection is stopped")}
STATE_STYLES = {"synced": "success", "waiting": "secondary", "refused": "danger",
                "deleted": "warning", "held": "warning", "stopped": "danger"}
PAYMENT_LABELS = {"not_paid": _l("Not paid"), "in_payment": _l("In payment"),
                  "paid": _l("Paid"), "partial": _l("Partly paid"),
                  "reversed": _l("Reversed"), "invoicing_legacy": _l("Invoiced (legacy)")}


def sync_state(mapping: ErpExternalId, connection: ErpConnection) -> str:
    """One word for where the order stands with this ERP (a key of ``STATE_LABELS``)."""
    if mapping.deleted_in_erp_at is not None:
        return "deleted"
    if mapping.error:
        return "refused"
    if mapping.erp_id is not None and mapping.erp_number:
        return "synced"
    if connection.state == "stopped":
        return "stopped"
    if getattr(connection, "held", False):
        return "held"
    return "waiting"


def order_rows(session: Session, order_id: int) -> list[dict[str, Any]]:
    """The order's mapping rows, one per connection that knows it, with their state."""
    found = []
    for mapping, connection in session.execute(
            select(ErpExternalId, ErpConnection)
            .join(ErpConnection, ErpConnection.id == ErpExternalId.connection_id)
            .where(ErpExternalId.object == "order", ErpExternalId.crm_id == order_id)
            .order_by(ErpConnection.name)).all():
        state = sync_state(mapping, connection)
        found.append({"connection": connection.name, "number": mapping.erp_number,
                      "erp_id": mapping.erp_id, "state": state,
                      "state_label": STATE_LABELS[state], "style": STATE_STYLES[state],
                      "payment": PAYMENT_LABELS.get(mapping.erp_state, mapping.erp_state),
                      "error": mapping.error, "synced_at": mapping.synced_at})
    return found


def order_panels(session: Session, order_id: int, user: Any) -> list[dict[str, Any]]:
    """The "ERP" panel of order ``order_id`` (the page already checked the user may see
    the order), or nothing when no ERP connection has it."""
    rows = order_rows(session, order_id)
    if not rows:
        return []
    may_manage = bool(getattr(user, "has_permission", None)
                      and user.has_permission(CONNECTION_MANAGE))
    html = render_template("erp_bridge/_order_panel.html", rows=rows, may_manage=may_manage)
    return [{"id": "erp_bridge.order", "title": str(_l("ERP")), "html": html, "order": 50}]
