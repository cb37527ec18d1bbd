"""OA decision callbacks decide kernel approvals: DingTalk ``bpms_instance_change``
(``type`` finish with ``result`` agree/refuse, or terminate), WeCom ``sys_approval_change``
(``SpStatus`` 2 approved, 3 rejected, 4 withdrawn) and Feishu ``approval_instance``
(``status`` APPROVED, REJECTED, CANCELED). Other events and intermediate states are left to
the ``oa_event_received`` listeners.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, decide_from_provider, user_names, withdraw_approval

from ..models import OaConnection, OaInstance
from . import mapping

log = logging.getLogger(__name__)


class NotYetKnown(Exception):
    """A decision for an instance whose id the outbox has not stored yet: answer an error so
    the vendor retries later."""


def outcome(kind: str, event_type: str, payload: dict[str, Any]
            ) -> tuple[str, str, str, str] | None:
    """``(instance id, "approved"|"rejected"|"withdrawn", OA user id, comment)`` of a final
    decision event, else None."""
    if kind == "dingtalk" and event_type == "bpms_instance_change":
        change = payload.get("type")
        status = {"agree": "approved", "refuse": "rejected"}.get(str(payload.get("result"))) \
            if change == "finish" else "withdrawn" if change == "terminate" else None
        return (str(payload.get("processInstanceId") or ""), status,
                str(payload.get("staffId") or ""), str(payload.get("remark") or "")) \
            if status else None
    if kind == "wecom" and event_type == "sys_approval_change":
        info = payload.get("ApprovalInfo") if isinstance(payload.get("ApprovalInfo"),
                                                          dict) else {}
        status = {"2": "approved", "3": "rejected", "4": "withdrawn"}.get(
            str(info.get("SpStatus")))
        return (str(info.get("SpNo") or ""), status, "", "") if status else None
    if kind == "feishu" and event_type == "approval_instance":
        event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
        status = {"APPROVED": "approved", "REJECTED": "rejected",
                  "CANCELED": "withdrawn"}.get(str(event.get("status")))
        return (str(event.get("instance_code") or ""), status, "", "") if status else None
    return None


def on_event(session: Session, connection: OaConnection, event_type: str,
             payload: dict[str, Any]) -> None:
    """Decide the kernel approval of a final OA decision (in the callback's transaction)."""
    found = outcome(connection.kind, event_type, payload)
    if found is None:
        return
    instance_id, status, oa_user, comment = found
    instance = session.scalar(select(OaInstance).where(
        OaInstance.connection_id == connection.id, OaInstance.instance_id == instance_id))
    if instance is None:
        if session.scalar(select(OaInstance.id).where(
                OaInstance.connection_id == connection.id,
                OaInstance.status == "sending").limit(1)) is not None:
            raise NotYetKnown(instance_id)
        log.info("OA decision for an instance the CRM did not start: ignored")
        return
    if instance.status != "open":
        return
    user_id = mapping.user_of(session, connection.id, oa_user) if oa_user else None
    who = user_names(session, [user_id]).get(user_id, "") if user_id else ""
    decided_by = f"{who or oa_user or connection.name} ({connection.name})"
    try:
        with session.begin_nested():
            if status == "withdrawn":
                requester = _requester(session, instance.approval_id)
                withdraw_approval(instance.approval_id, comment or "withdrawn in the OA",
                                  user=requester, session=session)
            else:
                decide_from_provider(instance.approval_id, status == "approved", comment,
                                     decided_by, session=session)
    except DomainError as refused:  # decided or withdrawn meanwhile: nothing to do
        log.info("OA decision not applied: %s", refused)
        return
    instance.status = "decided"


def _requester(session: Session, approval_id: int) -> int | None:
    from crm_core.toolkit import model_for_table

    approval = session.get(model_for_table("core_approval"), approval_id)
    return approval.requester_id if approval is not None else None
