"""Pushing CRM records to Odoo through the outbox channel ``erp.odoo``.

``push_customer`` writes an outbox message in the caller's transaction; the outbox delivers
it after the commit, at least once, with retries and backoff. Delivery is idempotent on the
ERP side: a record without an ERP id is first searched by its external reference (``ref``,
archived records too), and created only when none has it. What each error does:

- ``TransientError`` (the ERP down, slow, 5xx): raised, so the outbox tries again later;
- ``AuthError`` / ``PermissionError``: the connection is stopped with the ERP's reason and
  raised; while an Odoo connection is stopped the channel is not ready, so its messages
  wait without spending tries (no retry storm) until an administrator enters a new key;
- ``ValidationError``: the ERP's message is kept on the mapping row and the message is done
  (trying the same values again cannot succeed).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import OutboxChannel, OutboxDelivery, get_session, outbox

from ..connections.services import adapter_for, find_connection, stop_connection
from ..models import ErpConnection
from ..odoo import AuthError, PermissionError, ValidationError
from .external_ids import mapping_for, mark_refused, mark_synced

CHANNEL = "erp.odoo"
#: The res.partner fields a customer push may set.
PARTNER_FIELDS = ("name", "is_company", "email", "phone", "vat", "street", "city", "zip",
                  "comment")


class ConnectionStopped(RuntimeError):
    """The message's connection is stopped or gone: tried again once it is started."""


def push_customer(session: Session, connection: str, crm_id: int, values: dict[str, Any],
                  idempotency_key: str | None = None) -> Any:
    """Queue the customer ``crm_id`` with its ``values`` (``res.partner`` fields) for the
    Odoo connection named ``connection``, in the caller's transaction (the caller commits)."""
    partner = {key: value for key, value in values.items() if key in PARTNER_FIELDS}
    if not partner.get("name"):
        raise ValueError("a customer push needs a name")
    return outbox.enqueue(CHANNEL, {"connection": connection, "object": "customer",
                                    "crm_id": int(crm_id), "values": partner},
                          idempotency_key, session=session)


def push_order(session: Session, connection: str, crm_id: int, customer_id: int,
               partner: dict[str, Any], lines: list[dict[str, Any]],
               idempotency_key: str | None = None) -> Any:
    """Queue the confirmed order ``crm_id`` for the Odoo connection ``connection``: its
    customer (``res.partner`` values, made or found first) and its ``sale.order.line``
    values; delivered as a ``sale.order`` (found by ``client_order_ref`` before a create)
    then ``action_confirm``. In the caller's transaction; one message per order and
    connection (the idempotency key), so a second confirmation queues nothing."""
    partner = {key: value for key, value in partner.items() if key in PARTNER_FIELDS}
    return outbox.enqueue(CHANNEL, {"connection": connection, "object": "order",
                                    "crm_id": int(crm_id), "customer_id": int(customer_id),
                                    "values": partner, "lines": list(lines)},
                          idempotency_key or f"{connection}:order:{int(crm_id)}",
                          session=session)


def _validate(payload: dict[str, Any]) -> None:
    if payload.get("object") not in ("customer", "order") \
            or not isinstance(payload.get("crm_id"), int) \
            or not isinstance(payload.get("values"), dict) or not payload.get("connection"):
        raise ValueError("an erp.odoo message is {connection, object, crm_id, values}")
    if payload["object"] == "order" and (not isinstance(payload.get("lines"), list)
                                         or not isinstance(payload.get("customer_id"), int)):
        raise ValueError("an order message has its customer_id and lines")


def deliver(payload: dict[str, Any], message: OutboxDelivery) -> None:
    """Create or update the customer's ``res.partner`` (search by ``ref`` before create);
    for an order, then its ``sale.order`` (search by ``client_order_ref`` before create) and
    ``action_confirm``, keeping the ERP's order number on the order's mapping row."""
    session = get_session()
    connection = find_connection(session, payload["connection"])
    if connection is None or connection.kind != "odoo" or connection.state != "active" \
            or connection.held:
        raise ConnectionStopped(f"the ERP connection {payload['connection']!r} is stopped, "
                                "held or gone")
    customer_id = payload.get("customer_id", payload["crm_id"])
    mapping = mapping_for(session, connection, "customer", customer_id)
    order = mapping_for(session, connection, "order", payload["crm_id"]) \
        if payload["object"] == "order" else None
    try:
        with adapter_for(connection) as erp:
            erp_id = erp.upsert_partner(mapping.ref, dict(payload["values"]), mapping.erp_id)
            if order is not None:
                mark_synced(mapping, erp_id)
                mapping = order
                erp_id = order.erp_id or erp.push_order(order.ref, erp_id,
                                                        list(payload["lines"]))
                order.erp_id = erp_id
                session.commit()  # a lost confirmation answer retries the confirm only
                order.erp_number = erp.confirm_order(erp_id)
    except (AuthError, PermissionError) as refused:
        stop_connection(session, connection, refused.message)
        session.commit()
        raise
    except ValidationError as refused:
        mark_refused(mapping, refused.message)
        session.commit()
        return
    mark_synced(mapping, erp_id)
    session.commit()


def ready() -> str | None:
    """Why nothing can be delivered now: an Odoo connection is stopped (the channel holds
    every Odoo connection's messages then: the outbox has no per-message "wait"), or none is
    set up."""
    session = get_session()
    stopped = session.scalar(select(ErpConnection).where(
        ErpConnection.kind == "odoo", ErpConnection.state == "stopped")
        .order_by(ErpConnection.name).limit(1))
    if stopped is not None:
        return _("ERP connection %(name)s is stopped: %(reason)s", name=stopped.name,
                 reason=stopped.stopped_reason)
    held = session.scalar(select(ErpConnection.name).where(
        ErpConnection.kind == "odoo", ErpConnection.held.is_(True))
        .order_by(ErpConnection.name).limit(1))
    if held is not None:
        return _("ERP connection %(name)s is held (release it from its page or with crm erp "
                 "release)", name=held)
    active = session.scalar(select(ErpConnection.id).where(
        ErpConnection.kind == "odoo", ErpConnection.state == "active").limit(1))
    return None if active is not None else _("No Odoo connection is set up (crm erp connect)")


def _summary(payload: dict[str, Any]) -> str:
    return f"{payload.get('connection')}: {payload.get('object')} {payload.get('crm_id')}"


def outbox_channels() -> list[OutboxChannel]:
    """The ``erp.odoo`` channel."""
    return [OutboxChannel(CHANNEL, deliver, validate=_validate, ready=ready, summary=_summary,
                          label=_l("Odoo"))]
