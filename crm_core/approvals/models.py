"""Approval definitions with their ordered steps, and approvals with their steps and votes.

A definition is the admin's rule ("contracts from 100,000 need a manager, then finance");
an approval is one request under it. Each approval copies the definition's steps and names
the people who may decide each one (``ApprovalVote`` rows, one per approver), so a later
edit of the definition never changes a request already under way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, TimestampMixin

#: Who decides a step: a role's holders, the requester's department head, or named users.
APPROVER_KINDS = ("role", "head", "users")
#: Whether one approver's decision settles the step ("any") or every approver must approve.
MODES = ("any", "all")
#: An approval's states: pending, then approved / rejected / withdrawn / closed.
STATUSES = ("pending", "approved", "rejected", "withdrawn", "closed")
STEP_STATUSES = ("waiting", "open", "approved", "rejected", "cancelled")


class ApprovalDefinition(TimestampMixin, Model):
    """When a subject kind needs approval, and by whom (its steps, in order)."""

    __tablename__ = "core_approval_definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    subject_kind: Mapped[str] = mapped_column(String(120), index=True)
    min_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    condition: Mapped[str | None] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(500), default="")


class ApprovalDefinitionStep(Model):
    """One step of a definition: who decides it and whether any or all of them must."""

    __tablename__ = "core_approval_definition_step"
    __table_args__ = (UniqueConstraint("definition_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(
        ForeignKey("core_approval_definition.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(120), default="")
    approver_kind: Mapped[str] = mapped_column(String(12))
    role_name: Mapped[str | None] = mapped_column(String(80))
    user_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    mode: Mapped[str] = mapped_column(String(8), default="any")


class Approval(TimestampMixin, Model):
    """One request for approval of a subject (``sales.contract`` 12)."""

    __tablename__ = "core_approval"
    __table_args__ = (Index("ix_core_approval_subject", "subject_kind", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_approval_definition.id", ondelete="RESTRICT"), index=True)
    subject_kind: Mapped[str] = mapped_column(String(120))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    provider: Mapped[str | None] = mapped_column(String(80))
    provider_handle: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApprovalStep(Model):
    """One step of an approval, copied from its definition when the request was made."""

    __tablename__ = "core_approval_step"
    __table_args__ = (UniqueConstraint("approval_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    approval_id: Mapped[int] = mapped_column(
        ForeignKey("core_approval.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(120), default="")
    approver_kind: Mapped[str] = mapped_column(String(12))
    mode: Mapped[str] = mapped_column(String(8), default="any")
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApprovalVote(Model):
    """One approver of one step, and their decision once they made it."""

    __tablename__ = "core_approval_vote"
    __table_args__ = (UniqueConstraint("step_id", "user_id"),
                      Index("ix_core_approval_vote_user_open", "user_id", "decision"))

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(
        ForeignKey("core_approval_step.id", ondelete="CASCADE"), index=True)
    approval_id: Mapped[int] = mapped_column(
        ForeignKey("core_approval.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    decision: Mapped[str | None] = mapped_column(String(12))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
