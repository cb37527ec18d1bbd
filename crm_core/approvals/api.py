"""``/api/v1/approvals``: list (``?status=``, ``?mine=1`` waiting for me, ``?requested=1``),
read, approve, reject. Not yours to decide: 403; already decided: 409; not visible: 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from ..api.endpoint import api_endpoint
from ..api.pagination import Page, paginate
from ..db import get_session
from . import queries, service
from .models import Approval
from .schemas import ApprovalListQuery, ApprovalOut, DecisionIn

bp = Blueprint("core_approvals_api", __name__)
DECIDE = "core.approvals.decide"


def dump_ready(session: Any, approvals: list[Approval]) -> list[dict[str, Any]]:
    """Approvals as the schema dumps them, each with its steps and approvers."""
    steps = queries.step_views(session, [a.id for a in approvals])
    result = []
    for approval in approvals:
        row = {column: getattr(approval, column) for column in (
            "id", "subject_kind", "subject_id", "title", "details", "amount", "status",
            "reason", "requester_id", "provider", "created_at", "decided_at")}
        row["steps"] = [{
            "position": view.step.position, "label": view.step.label,
            "approver_kind": view.step.approver_kind, "mode": view.step.mode,
            "status": view.step.status, "opened_at": view.step.opened_at,
            "decided_at": view.step.decided_at, "approvers": view.votes}
            for view in steps.get(approval.id, [])]
        result.append(row)
    return result


def _open(approval_id: int) -> Approval:
    session = get_session()
    approval = queries.get_visible(session, approval_id, current_user)
    if service.close_if_subject_gone(session, approval):
        session.commit()
    return approval


@api_endpoint(bp, "/api/v1/approvals", query=ApprovalListQuery, response=ApprovalOut,
              page=True, tags=["approvals"])
def list_approvals(query: dict[str, Any]) -> Page:
    """Approvals you may see, newest first.

    ``mine=1``: waiting for your decision; ``requested=1``: the ones you asked for.
    """
    session = get_session()
    statement = queries.listing(current_user, status=query["status"], waiting=query["mine"],
                                requested=query["requested"],
                                subject_kind=query["subject_kind"],
                                subject_id=query["subject_id"])
    page = paginate(session, statement, descending=True, limit=query["limit"],
                    cursor=query["cursor"])
    return Page(items=dump_ready(session, page.items), next_cursor=page.next_cursor)


@api_endpoint(bp, "/api/v1/approvals/<int:approval_id>", response=ApprovalOut,
              tags=["approvals"])
def get_approval(approval_id: int) -> dict[str, Any]:
    """One approval with its steps, approvers and their decisions."""
    return dump_ready(get_session(), [_open(approval_id)])[0]


def _decide(approval_id: int, approve: bool, comment: str) -> dict[str, Any]:
    session = get_session()
    approval = _open(approval_id)
    service.decide(session, approval.id, current_user.id, approve, comment)
    session.commit()
    return dump_ready(session, [approval])[0]


@api_endpoint(bp, "/api/v1/approvals/<int:approval_id>/approve", methods=["POST"],
              permission=DECIDE, body=DecisionIn, response=ApprovalOut, tags=["approvals"])
def approve_approval(approval_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Approve the open step (403 when it is not yours; 409 when already decided)."""
    return _decide(approval_id, True, body["comment"])


@api_endpoint(bp, "/api/v1/approvals/<int:approval_id>/reject", methods=["POST"],
              permission=DECIDE, body=DecisionIn, response=ApprovalOut, tags=["approvals"])
def reject_approval(approval_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Reject the open step, which ends the approval (403 when not yours; 409 when decided)."""
    return _decide(approval_id, False, body["comment"])
