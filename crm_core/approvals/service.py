"""Requesting, deciding, withdrawing and closing approvals.

Functions take a session and plain values, write through the ORM (so the operation log
records every row change), add a ``record_event`` entry for each decision, and raise
``ApprovalError`` with the status the web layer answers: 403 (not yours to decide), 404,
409 (already decided). The caller commits.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.service import record_event
from ..auth.models import User
from ..db import utcnow
from ..errors import DomainError
from ..rbac.models import Department, Role, UserRole
from . import events
from .definitions import definition_steps
from .models import Approval, ApprovalDefinition, ApprovalStep, ApprovalVote
from .types import ApprovalResult, approval_conditions, approval_subjects, call_check

MAX_COMMENT = 2000


class ApprovalError(DomainError):
    """A refused approval action; ``status`` is 403, 404, 409 or 422."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApprovalError(_("The amount is not a number.")) from None
    if not amount.is_finite():
        raise ApprovalError(_("The amount is not a number."))
    return amount


def applicable_definition(session: Session, subject_kind: str, subject_id: int,
                          amount: Decimal | None) -> ApprovalDefinition | None:
    """The first active definition (by priority) whose threshold and condition hold."""
    conditions = approval_conditions()
    for definition in session.scalars(select(ApprovalDefinition).where(
            ApprovalDefinition.subject_kind == subject_kind,
            ApprovalDefinition.active.is_(True))
            .order_by(ApprovalDefinition.priority, ApprovalDefinition.id)):
        if definition.min_amount is not None and (amount is None
                                                  or amount < definition.min_amount):
            continue
        if definition.condition:
            condition = conditions.get(definition.condition)
            if condition is None or not call_check(condition.check, subject_id=subject_id,
                                                   amount=amount):
                continue
        return definition
    return None


def _department_head(session: Session, requester: User | None) -> int | None:
    """The head of the requester's department, else of the nearest one above it (never the
    requester themself)."""
    if requester is None or requester.department_id is None:
        return None
    department = session.get(Department, requester.department_id)
    ids = [int(part) for part in department.path.strip("/").split("/") if part] \
        if department else []
    heads = dict(session.execute(select(Department.id, Department.head_id)
                                 .where(Department.id.in_(ids))).all())
    for department_id in reversed(ids):
        head_id = heads.get(department_id)
        if head_id is not None and head_id != requester.id:
            head = session.get(User, head_id)
            if head is not None and head.is_active:
                return head_id
    return None


def resolve_approvers(session: Session, step: Any, requester: User | None) -> list[int]:
    """The active users who decide a definition step: a role's holders but the requester,
    the department head (never the requester), or the named users as named."""
    if step.approver_kind == "head":
        head = _department_head(session, requester)
        return [head] if head is not None else []
    if step.approver_kind == "role":
        query = (select(User.id).join(UserRole, UserRole.user_id == User.id)
                 .join(Role, Role.id == UserRole.role_id).where(Role.name == step.role_name))
    else:
        query = select(User.id).where(User.id.in_([int(i) for i in step.user_ids or []]))
    ids = set(session.scalars(query.where(User.is_active.is_(True))))
    if step.approver_kind == "role" and requester is not None:
        ids.discard(requester.id)  # nobody approves their own request through a role
    return sorted(ids)


def _open_step(session: Session, approval: Approval, step: ApprovalStep) -> None:
    step.status, step.opened_at = "open", utcnow()
    session.flush()
    if approval.provider is None:
        title, body = events.texts(events.KIND_REQUESTED, approval.title)
        events.notify(session, approval_voters(session, step.id), events.KIND_REQUESTED,
                      title, body, events.approval_link(approval.id))


def approval_voters(session: Session, step_id: int, undecided: bool = False) -> list[int]:
    """The user ids of a step's approvers (only those yet to decide, when asked)."""
    query = select(ApprovalVote.user_id).where(ApprovalVote.step_id == step_id)
    if undecided:
        query = query.where(ApprovalVote.decision.is_(None))
    return list(session.scalars(query))


def request_approval(subject_kind: str, subject_id: int, title: str, details: str = "",
                     amount: Any = None, *, requester: Any = None,
                     session: Session | None = None) -> ApprovalResult:
    """Ask for approval of a record; see ``toolkit.request_approval`` in docs/plugins.md."""
    from flask_login import current_user

    from ..db import get_session

    session = session if session is not None else get_session()
    if requester is None and current_user and current_user.is_authenticated:
        requester = current_user
    requester_user = session.get(User, requester if isinstance(requester, int)
                                 else requester.id) if requester is not None else None
    title = (title or "").strip()[:200] or f"{subject_kind} {subject_id}"
    amount = _amount(amount)
    definition = applicable_definition(session, subject_kind, int(subject_id), amount)
    if definition is None:
        return ApprovalResult(approval_id=None, status="approved", needed=False)
    if session.scalar(select(Approval.id).where(
            Approval.subject_kind == subject_kind, Approval.subject_id == int(subject_id),
            Approval.status == "pending").limit(1)) is not None:
        raise ApprovalError(_("This record is already waiting for approval."), 409)
    approval = Approval(definition_id=definition.id, subject_kind=subject_kind,
                        subject_id=int(subject_id), title=title, details=details or "",
                        amount=amount, status="pending",
                        requester_id=requester_user.id if requester_user else None,
                        department_id=requester_user.department_id if requester_user else None)
    session.add(approval)
    session.flush()
    steps = []
    for spec in definition_steps(session, definition.id):
        approvers = resolve_approvers(session, spec, requester_user)
        if not approvers:
            raise ApprovalError(_("Nobody can decide step %(n)d (%(label)s) of “%(name)s”: ask "
                                  "an administrator to fix the approval definition.",
                                  n=spec.position, label=spec.label or spec.approver_kind,
                                  name=definition.name))
        step = ApprovalStep(approval_id=approval.id, position=spec.position, label=spec.label,
                            approver_kind=spec.approver_kind, mode=spec.mode)
        session.add(step)
        session.flush()
        session.add_all([ApprovalVote(step_id=step.id, approval_id=approval.id, user_id=user_id)
                         for user_id in approvers])
        steps.append(step)
    session.flush()
    provider = events.ask_provider(
        session, approval_id=approval.id, subject_kind=subject_kind,
        subject_id=approval.subject_id, title=title, details=approval.details, amount=amount,
        requester_id=approval.requester_id)
    if provider is not None:
        approval.provider, approval.provider_handle = provider
    else:
        _open_step(session, approval, steps[0])
    record_event("approval_requested", title, model=Approval, record_id=approval.id,
                 changes={"definition": definition.name, "provider": approval.provider},
                 session=session)
    events.emit("crm_approval_requested", session, approval_id=approval.id,
                subject_kind=subject_kind, subject_id=approval.subject_id, status="pending",
                requester_id=approval.requester_id, provider=approval.provider)
    return ApprovalResult(approval_id=approval.id, status="pending", needed=True,
                          provider=approval.provider)


def get_approval(session: Session, approval_id: int, lock: bool = False) -> Approval:
    """The approval with this id; ApprovalError (404) when there is none."""
    approval = session.get(Approval, approval_id, with_for_update=lock or None)
    if approval is None:
        raise ApprovalError(_("That approval does not exist (any more)."), 404)
    return approval


def steps_of(session: Session, approval_id: int) -> list[ApprovalStep]:
    """The approval's steps in order."""
    return list(session.scalars(select(ApprovalStep).where(
        ApprovalStep.approval_id == approval_id).order_by(ApprovalStep.position)))


def _finish(session: Session, approval: Approval, status: str, reason: str = "",
            comment: str = "") -> None:
    approval.status, approval.decided_at = status, utcnow()
    if reason:
        approval.reason = reason[:500]
    for step in steps_of(session, approval.id):
        if step.status in ("waiting", "open"):
            step.status = "cancelled" if status != "approved" else "approved"
    session.flush()
    events.emit("crm_approval_decided", session, approval_id=approval.id,
                subject_kind=approval.subject_kind, subject_id=approval.subject_id,
                status=status, comment=comment, reason=approval.reason)
    if approval.requester_id is not None:
        title, body = events.texts(events.KIND_DECIDED, approval.title, status)
        events.notify(session, [approval.requester_id], events.KIND_DECIDED, title,
                      body, events.approval_link(approval.id))


def _check_pending(approval: Approval) -> None:
    if approval.status != "pending":
        raise ApprovalError(_("This approval has ended: %(status)s.",
                              status=events.status_label(approval.status)), 409)


def decide(session: Session, approval_id: int, user_id: int, approve: bool,
           comment: str = "") -> Approval:
    """Record ``user_id``'s decision on the approval's open step, and move it on.

    "any" steps are settled by the first decision; "all" steps need every approver's
    approval and end at the first rejection. A rejection ends the approval.
    """
    approval = get_approval(session, approval_id, lock=True)
    _check_pending(approval)
    if approval.provider is not None:
        raise ApprovalError(_("This approval is decided in %(provider)s.",
                              provider=approval.provider), 409)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ApprovalError(_("A comment has at most %(n)d characters.", n=MAX_COMMENT))
    steps = steps_of(session, approval.id)
    step = next((s for s in steps if s.status == "open"), None)
    vote = session.scalar(select(ApprovalVote).where(
        ApprovalVote.step_id == step.id, ApprovalVote.user_id == user_id)) \
        if step is not None else None
    if vote is None:
        raise ApprovalError(_("You are not an approver of the current step."), 403)
    if vote.decision is not None:
        raise ApprovalError(_("You have already decided this step."), 409)
    vote.decision = "approved" if approve else "rejected"
    vote.comment, vote.decided_at = comment, utcnow()
    session.flush()
    record_event("approval_decided", approval.title, model=Approval, record_id=approval.id,
                 changes={"step": step.position, "decision": vote.decision,
                          "comment": comment}, session=session)
    pending = approval_voters(session, step.id, undecided=True)
    if not approve:
        step.status, step.decided_at = "rejected", utcnow()
        _finish(session, approval, "rejected", comment=comment)
    elif step.mode == "any" or not pending:
        step.status, step.decided_at = "approved", utcnow()
        following = [s for s in steps if s.position > step.position]
        if following:
            _open_step(session, approval, following[0])
        else:
            _finish(session, approval, "approved", comment=comment)
    session.flush()
    return approval


def withdraw(session: Session, approval_id: int, user_id: int, reason: str = "") -> Approval:
    """The requester takes a pending request back."""
    approval = get_approval(session, approval_id, lock=True)
    if approval.requester_id != user_id:
        raise ApprovalError(_("Only the requester may withdraw a request."), 403)
    _check_pending(approval)
    reason = (reason or "").strip()[:500]
    record_event("approval_withdrawn", approval.title, model=Approval, record_id=approval.id,
                 changes={"reason": reason}, session=session)
    _finish(session, approval, "withdrawn", reason=reason)
    return approval


def decide_from_provider(approval_id: int, approved: bool, comment: str = "",
                         decided_by: str = "", *, session: Session | None = None) -> Approval:
    """A provider plugin (an OA system's callback) decides an approval it took over.

    Every step still open or waiting ends with the outcome; ``decided_by`` names who decided
    in the provider's system (shown in the history and the operation log).
    """
    from ..db import get_session

    session = session if session is not None else get_session()
    approval = get_approval(session, approval_id, lock=True)
    if approval.provider is None:
        raise ApprovalError(_("This approval is decided by people in the web UI."), 409)
    _check_pending(approval)
    status = "approved" if approved else "rejected"
    note = (comment or "").strip()[:MAX_COMMENT]
    reason = _("Decided in %(provider)s by %(who)s.", provider=approval.provider,
               who=decided_by or "?")
    record_event("approval_decided", approval.title, model=Approval, record_id=approval.id,
                 changes={"decision": status, "comment": note, "provider": approval.provider,
                          "decided_by": decided_by}, session=session)
    for step in steps_of(session, approval.id):
        step.decided_at = utcnow()
    _finish(session, approval, status, reason=reason, comment=note)
    if status == "rejected":
        for step in steps_of(session, approval.id):
            step.status = "rejected"
    return approval


def subject_exists(session: Session, approval: Approval) -> bool | None:
    """Whether the approval's record is still there (None: its plugin is not enabled)."""
    subject = approval_subjects().get(approval.subject_kind)
    if subject is None or subject.model is None:
        return None
    row = session.get(subject.model, approval.subject_id)
    return row is not None and getattr(row, "deleted_at", None) is None


def close_if_subject_gone(session: Session, approval: Approval) -> bool:
    """Close a pending approval whose record was deleted; True when it did."""
    if approval.status != "pending" or subject_exists(session, approval) is not False:
        return False
    reason = _("The record was deleted.")
    record_event("approval_closed", approval.title, model=Approval, record_id=approval.id,
                 changes={"reason": reason}, session=session)
    _finish(session, approval, "closed", reason=reason)
    return True


def withdraw_approval(approval_id: int, reason: str = "", *, user: Any = None,
                      session: Session | None = None) -> Approval:
    """The requester (``user``, default the signed-in user) takes a pending request back;
    ``crm_approval_decided`` is called with status ``withdrawn``. The caller commits."""
    from flask_login import current_user

    from ..db import get_session

    session = session if session is not None else get_session()
    user = user if user is not None else current_user
    user_id = user if isinstance(user, int) else getattr(user, "id", None)
    return withdraw(session, approval_id, user_id, reason)
