"""Assignment rules: a new ticket of a request type, priority and customer level (empty =
any) goes to a team, optionally straight to one of its members. The active rules are read
in ``position`` order; the first that matches routes the ticket (``assignment.rules``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin

from .choices import PRIORITY_LABELS, REQUEST_TYPE_LABELS


class AssignmentRule(TimestampMixin, Model):
    """Where new tickets matching a request type, priority and customer level go."""

    __tablename__ = "service_assignment_rule"
    __table_args__ = (Index("ix_service_assignment_rule_order", "is_active", "position",
                            "id"),)
    __audit_label__ = _l("Assignment rule")
    __audit_labels__ = {"position": _l("Order"), "request_type": _l("Request type"),
                        "priority": _l("Priority"), "customer_level": _l("Customer level"),
                        "team_id": _l("Team"), "assignee_id": _l("Assignee"),
                        "is_active": _l("Active")}
    __audit_choices__ = {"priority": PRIORITY_LABELS, "request_type": REQUEST_TYPE_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    request_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    priority: Mapped[str] = mapped_column(String(10), default="", server_default="")
    customer_level: Mapped[str] = mapped_column(String(20), default="", server_default="")
    team_id: Mapped[int] = mapped_column(ForeignKey("service_team.id", ondelete="CASCADE"),
                                         index=True)
    #: a member of the team who takes the matching tickets; empty: the team's mode picks
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
