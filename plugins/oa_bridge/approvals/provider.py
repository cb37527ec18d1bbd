"""The approval provider: a kernel approval whose definition is mapped to an OA process is
taken over (``crm_approval_provider``) and sent to the OA through the outbox.

The hook runs in the requester's transaction: it writes an ``OaInstance`` (``sending``) and an
outbox message on the channel ``oa_bridge.approval``, and answers a handle, so the kernel
opens no step in the web UI and refuses decisions there (409, "This approval is decided in
oa_bridge."). The outbox delivers after the commit: the OA instance is created under the
requester's OA identity, and its id is kept. A retryable vendor failure (5xx, network,
throttling) is raised so the outbox tries again with backoff; a refusal (4xx: a wrong process
code or field) marks the instance ``failed`` with the vendor's message and an
``oa_approval_failed`` log entry, and is not retried.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import (
    OutboxChannel,
    OutboxDelivery,
    get_session,
    model_for_table,
    outbox,
    record_event,
)

from ..models import OaConnection, OaInstance
from ..protocol.api_errors import VendorError
from ..tokens.client import TIMEOUT, OaClient
from . import mapping

log = logging.getLogger(__name__)
CHANNEL = "oa_bridge.approval"


def take_over(approval_id: int, subject_kind: str, subject_id: int, title: str,
              details: str, amount: Any, requester_id: int | None) -> str | None:
    """The ``crm_approval_provider`` answer: a handle when the approval's definition is
    mapped to an OA process and the requester has an OA identity there, else None (people
    decide in the web UI)."""
    session = get_session()
    approval = session.get(model_for_table("core_approval"), approval_id)
    process = mapping.process_of(session, getattr(approval, "definition_id", None))
    if process is None:
        return None
    if mapping.link_of(session, process.connection_id, requester_id) is None:
        log.warning("approval %s: the requester has no OA identity; decided in the web UI",
                    approval_id)
        return None
    instance = OaInstance(approval_id=approval_id, connection_id=process.connection_id,
                          status="sending")
    session.add(instance)
    session.flush()
    outbox.enqueue(CHANNEL, {"instance": instance.id}, f"{CHANNEL}:{approval_id}",
                   session=session)
    return f"{CHANNEL}:{instance.id}"


def _values(session: Any, approval: Any) -> dict[str, Any]:
    from crm_core.toolkit import user_names

    requester = user_names(session, [approval.requester_id]).get(approval.requester_id, "")
    return {"title": approval.title, "details": approval.details,
            "amount": approval.amount, "subject_kind": approval.subject_kind,
            "subject_id": approval.subject_id, "approval_id": approval.id,
            "requester": requester}


def deliver(payload: dict[str, Any], message: OutboxDelivery) -> None:
    """Create the OA instance of one approval (the outbox channel's ``deliver``)."""
    session = get_session()
    instance = session.get(OaInstance, int(payload["instance"]))
    if instance is None or instance.status != "sending":
        return
    approval = session.get(model_for_table("core_approval"), instance.approval_id)
    connection = session.get(OaConnection, instance.connection_id)
    process = mapping.process_of(session, approval.definition_id)
    link = mapping.link_of(session, instance.connection_id, approval.requester_id)
    if approval.status != "pending" or process is None or link is None or connection is None:
        instance.status = "closed"
        session.commit()
        return
    form = mapping.form_values(process, _values(session, approval))
    try:
        with httpx.Client(timeout=TIMEOUT) as http:
            instance_id = OaClient(session, connection, http=http).create_approval(
                process_code=process.process_code, oa_user_id=link.oa_user_id,
                oa_dept_id=link.oa_dept_id, form=form, request_id=message.idempotency_key)
    except VendorError as refused:
        session.rollback()
        if refused.retryable:
            raise
        instance = session.get(OaInstance, int(payload["instance"]))
        instance.status, instance.error = "failed", str(refused)[:500]
        record_event("oa_approval_failed",
                     _l("The OA refused approval %(id)s: %(error)s", id=approval.id,
                        error=str(refused)[:200]),
                     model=OaInstance, record_id=instance.id, user="system")
        session.commit()
        return
    instance.instance_id, instance.status = instance_id[:200], "open"
    session.commit()


def outbox_channels() -> list[OutboxChannel]:
    """The channel that starts OA approvals."""
    return [OutboxChannel(CHANNEL, deliver,
                          summary=lambda payload: f"OA approval instance {payload['instance']}")]
