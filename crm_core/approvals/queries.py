"""Who sees which approval, the inbox ("Waiting for me"), one's requests, and the history
of a record's approvals.

An approval is seen by its requester, the approvers of its steps, and holders of
``core.approvals.view_all`` (superusers too); to anyone else it does not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, func, select, true
from sqlalchemy.orm import Session

from ..rbac.users import user_names
from .models import Approval, ApprovalStep, ApprovalVote
from .service import ApprovalError, steps_of

VIEW_ALL = "core.approvals.view_all"


def sees_all(user: Any) -> bool:
    """Whether ``user`` reads every approval."""
    return bool(user.is_superuser or user.has_permission(VIEW_ALL))


def visible_condition(user: Any) -> Any:
    """The condition on ``Approval`` of the rows ``user`` may see."""
    if sees_all(user):
        return true()
    return (Approval.requester_id == user.id) | exists().where(
        ApprovalVote.approval_id == Approval.id, ApprovalVote.user_id == user.id)


def get_visible(session: Session, approval_id: int, user: Any) -> Approval:
    """The approval if ``user`` may see it; ApprovalError (404) otherwise."""
    approval = session.scalar(select(Approval).where(Approval.id == approval_id,
                                                     visible_condition(user)))
    if approval is None:
        raise ApprovalError(_("That approval does not exist (any more)."), 404)
    return approval


def _waiting_for(user_id: int) -> Any:
    return exists().where(
        ApprovalVote.approval_id == Approval.id, ApprovalVote.user_id == user_id,
        ApprovalVote.decision.is_(None),
        ApprovalStep.id == ApprovalVote.step_id, ApprovalStep.status == "open")


def listing(user: Any, *, status: str | None = None, waiting: bool = False,
            requested: bool = False, subject_kind: str | None = None,
            subject_id: int | None = None) -> Select[Any]:
    """The approvals ``user`` sees, filtered: ``waiting`` for their decision, ``requested``
    by them, of a ``status`` or one subject."""
    query = select(Approval).where(visible_condition(user))
    if status:
        query = query.where(Approval.status == status)
    if waiting:
        query = query.where(Approval.status == "pending", Approval.provider.is_(None),
                            _waiting_for(user.id))
    if requested:
        query = query.where(Approval.requester_id == user.id)
    if subject_kind:
        query = query.where(Approval.subject_kind == subject_kind)
    if subject_id is not None:
        query = query.where(Approval.subject_id == subject_id)
    return query


def waiting_count(session: Session, user_id: int) -> int:
    """How many approvals wait for ``user_id``'s decision (the top bar's badge)."""
    return session.scalar(select(func.count(ApprovalVote.id))
                          .join(ApprovalStep, ApprovalStep.id == ApprovalVote.step_id)
                          .join(Approval, Approval.id == ApprovalVote.approval_id)
                          .where(ApprovalVote.user_id == user_id,
                                 ApprovalVote.decision.is_(None),
                                 ApprovalStep.status == "open", Approval.status == "pending",
                                 Approval.provider.is_(None))) or 0


@dataclass(frozen=True)
class StepView:
    """A step with its approvers, for pages and the API."""

    step: ApprovalStep
    votes: list[dict[str, Any]]


def step_views(session: Session, approval_ids: list[int]) -> dict[int, list[StepView]]:
    """Each approval's steps with their approvers' names and decisions, by approval id."""
    if not approval_ids:
        return {}
    steps = list(session.scalars(select(ApprovalStep).where(
        ApprovalStep.approval_id.in_(approval_ids)).order_by(ApprovalStep.position)))
    votes = list(session.scalars(select(ApprovalVote).where(
        ApprovalVote.approval_id.in_(approval_ids)).order_by(ApprovalVote.id)))
    names = user_names(session, {vote.user_id for vote in votes})
    by_step: dict[int, list[dict[str, Any]]] = {}
    for vote in votes:
        by_step.setdefault(vote.step_id, []).append({
            "user_id": vote.user_id, "name": names.get(vote.user_id, "?"),
            "decision": vote.decision, "comment": vote.comment,
            "decided_at": vote.decided_at})
    result: dict[int, list[StepView]] = {}
    for step in steps:
        result.setdefault(step.approval_id, []).append(StepView(step, by_step.get(step.id, [])))
    return result


def may_decide(session: Session, approval: Approval, user_id: int) -> bool:
    """Whether ``user_id`` may decide the approval's open step now."""
    if approval.status != "pending" or approval.provider is not None:
        return False
    return session.scalar(select(ApprovalVote.id).join(
        ApprovalStep, and_(ApprovalStep.id == ApprovalVote.step_id,
                           ApprovalStep.status == "open"))
        .where(ApprovalVote.approval_id == approval.id, ApprovalVote.user_id == user_id,
               ApprovalVote.decision.is_(None))) is not None


def subject_history(session: Session, user: Any, subject_kind: str,
                    subject_id: int) -> list[Approval]:
    """The approvals of one record that ``user`` may see, newest first."""
    return list(session.scalars(listing(user, subject_kind=subject_kind, subject_id=subject_id)
                                .order_by(Approval.id.desc()).limit(20)))


__all__ = ["get_visible", "listing", "may_decide", "sees_all", "step_views",
           "subject_history", "visible_condition", "waiting_count", "steps_of"]
