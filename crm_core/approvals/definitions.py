"""The admin's approval definitions: which subject kind, when, and the steps in order.

Every function takes a session and plain values and raises ``FieldError`` naming the form
field a refused value belongs to (``steps-1-role_name`` for the second step's role).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..errors import DomainError
from ..rbac.models import Role
from ..rbac.service import FieldError
from .models import APPROVER_KINDS, MODES, Approval, ApprovalDefinition, ApprovalDefinitionStep

MAX_STEPS = 10
MAX_AMOUNT = Decimal("9999999999999999.99")


@dataclass
class StepInput:
    """One step as the form or a caller gives it."""

    approver_kind: str
    mode: str = "any"
    label: str = ""
    role_name: str | None = None
    user_ids: list[int] = field(default_factory=list)


def get_definition(session: Session, definition_id: int) -> ApprovalDefinition:
    """The definition with this id; DomainError (404) when there is none."""
    definition = session.get(ApprovalDefinition, definition_id)
    if definition is None:
        error = DomainError(_("That approval definition does not exist (any more)."))
        error.status = 404
        raise error
    return definition


def definition_steps(session: Session, definition_id: int) -> list[ApprovalDefinitionStep]:
    """The definition's steps in order."""
    return list(session.scalars(select(ApprovalDefinitionStep).where(
        ApprovalDefinitionStep.definition_id == definition_id)
        .order_by(ApprovalDefinitionStep.position)))


def list_definitions(session: Session) -> list[ApprovalDefinition]:
    """Every definition: active first, then by subject kind, priority and name."""
    return list(session.scalars(select(ApprovalDefinition).order_by(
        ApprovalDefinition.active.desc(), ApprovalDefinition.subject_kind,
        ApprovalDefinition.priority, ApprovalDefinition.name)))


def usage_counts(session: Session) -> dict[int, int]:
    """How many approvals each definition was used for, by definition id."""
    return dict(session.execute(select(Approval.definition_id, func.count(Approval.id))
                                .where(Approval.definition_id.is_not(None))
                                .group_by(Approval.definition_id)).all())


def _clean_amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise FieldError("min_amount", _("Give the amount as a number, e.g. 100000.")) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise FieldError("min_amount", _("The amount must be between 0 and %(max)s.",
                                         max=MAX_AMOUNT))
    return amount.quantize(Decimal("0.01"))


def _clean_step(session: Session, index: int, step: StepInput) -> StepInput:
    prefix = f"steps-{index}-"
    if step.approver_kind not in APPROVER_KINDS:
        raise FieldError(prefix + "approver_kind", _("Choose who decides this step."))
    if step.mode not in MODES:
        raise FieldError(prefix + "mode", _("Choose “any one of them” or “all of them”."))
    label = (step.label or "").strip()
    if len(label) > 120:
        raise FieldError(prefix + "label", _("A step label has at most 120 characters."))
    role_name, user_ids = None, []
    if step.approver_kind == "role":
        role_name = (step.role_name or "").strip()
        if not role_name:
            raise FieldError(prefix + "role_name", _("Choose the role that decides this step."))
        if session.scalar(select(Role.id).where(Role.name == role_name)) is None:
            raise FieldError(prefix + "role_name", _("There is no role %(name)s.",
                                                      name=role_name))
    elif step.approver_kind == "users":
        user_ids = sorted({int(user_id) for user_id in step.user_ids})
        if not user_ids:
            raise FieldError(prefix + "user_ids", _("Choose at least one user."))
        found = set(session.scalars(select(User.id).where(User.id.in_(user_ids),
                                                           User.is_active.is_(True))))
        if found != set(user_ids):
            raise FieldError(prefix + "user_ids", _("Choose active users only."))
    return StepInput(step.approver_kind, step.mode, label, role_name, user_ids)


def _clean(session: Session, name: str, subject_kind: str, min_amount: Any,
           condition: str | None, steps: list[StepInput],
           kinds: set[str] | None, conditions: dict[str, str] | None) -> dict[str, Any]:
    name = (name or "").strip()
    if not name:
        raise FieldError("name", _("A definition needs a name."))
    if len(name) > 120:
        raise FieldError("name", _("A name has at most 120 characters."))
    subject_kind = (subject_kind or "").strip()
    if not subject_kind or (kinds is not None and subject_kind not in kinds):
        raise FieldError("subject_kind", _("Choose what this definition covers."))
    condition = (condition or "").strip() or None
    if condition is not None and conditions is not None and \
            conditions.get(condition) != subject_kind:
        raise FieldError("condition", _("That condition does not apply to this kind of "
                                        "record."))
    if not steps:
        raise FieldError("steps", _("A definition needs at least one step."))
    if len(steps) > MAX_STEPS:
        raise FieldError("steps", _("A definition has at most %(n)d steps.", n=MAX_STEPS))
    return {"name": name, "subject_kind": subject_kind, "min_amount": _clean_amount(min_amount),
            "condition": condition,
            "steps": [_clean_step(session, index, step) for index, step in enumerate(steps)]}


def _write_steps(session: Session, definition: ApprovalDefinition,
                 steps: list[StepInput]) -> None:
    old = definition_steps(session, definition.id)
    for row in old[len(steps):]:
        session.delete(row)
    session.flush()
    for position, step in enumerate(steps, start=1):
        row = old[position - 1] if position <= len(old) else ApprovalDefinitionStep(
            definition_id=definition.id, position=position)
        row.label, row.approver_kind, row.mode = step.label, step.approver_kind, step.mode
        row.role_name, row.user_ids = step.role_name, list(step.user_ids)
        session.add(row)
    session.flush()


def save_definition(session: Session, definition_id: int | None, *, name: str,
                    subject_kind: str, steps: list[StepInput], min_amount: Any = None,
                    condition: str | None = None, priority: int = 100, active: bool = True,
                    description: str = "", kinds: set[str] | None = None,
                    conditions: dict[str, str] | None = None) -> ApprovalDefinition:
    """Create (``definition_id`` None) or change a definition and its steps.

    ``kinds`` and ``conditions`` (name → subject kind) are what the enabled plugins declare;
    the admin pages pass them so a definition names only what exists.
    """
    values = _clean(session, name, subject_kind, min_amount, condition, steps, kinds,
                    conditions)
    if definition_id is None:
        definition = ApprovalDefinition()
        session.add(definition)
    else:
        definition = get_definition(session, definition_id)
    definition.name, definition.subject_kind = values["name"], values["subject_kind"]
    definition.min_amount, definition.condition = values["min_amount"], values["condition"]
    definition.priority = max(0, min(int(priority), 10_000))
    definition.active = bool(active)
    definition.description = (description or "").strip()[:500]
    session.flush()
    _write_steps(session, definition, values["steps"])
    return definition


def remove_definition(session: Session, definition_id: int) -> bool:
    """Delete a definition no approval used; one that was used is deactivated instead.

    Returns True when it was deleted, False when it was only deactivated.
    """
    definition = get_definition(session, definition_id)
    used = session.scalar(select(Approval.id).where(Approval.definition_id == definition.id)
                          .limit(1)) is not None
    if used:
        definition.active = False
        session.flush()
        return False
    for row in definition_steps(session, definition.id):
        session.delete(row)
    session.flush()
    session.delete(definition)
    session.flush()
    return True
